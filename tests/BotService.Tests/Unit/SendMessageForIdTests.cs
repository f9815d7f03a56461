using System.Text.Json.Nodes;
using Telegram.Bot.Types;
using Mesh.Bot.Telegram;
using Telegram.Bot.Requests;
using Telegram.Bot.Requests.Abstractions;
using Telegram.Bot.Types.Enums;
using Telegram.Bot.Types.ReplyMarkups;

namespace Mesh.Bot.Tests.Unit;

/// <summary>The update path's own sendMessage puts on the wire what Telegram.Bot's SendMessageRequest would.</summary>
public sealed class SendMessageForIdTests
{
    const string Greeting = "Привіт, <b>Ада</b> \"👋\"";
    static readonly InlineKeyboardMarkup Menu = new([[InlineKeyboardButton.WithCallbackData("Tariffs", "menu:tariffs"), InlineKeyboardButton.WithUrl("Site", "https://example.com/")]]);

    /// <summary>Every other kind of button: written through Telegram.Bot's own serializer, beside plain ones.</summary>
    static readonly InlineKeyboardMarkup Mixed = new([
        [InlineKeyboardButton.WithCallbackData("Ок ✅", "mn:main:7:"), InlineKeyboardButton.WithWebApp("App", new WebAppInfo("https://example.com/app"))],
        [InlineKeyboardButton.WithCopyText("Copy", new CopyTextButton { Text = "ABC-123" }), InlineKeyboardButton.WithSwitchInlineQuery("Share", "q")],
        [new InlineKeyboardButton("Styled", "mn:x:1:") { Style = KeyboardButtonStyle.Danger }, new InlineKeyboardButton("Icon") { Url = "https://example.com/", IconCustomEmojiId = "5368324170671202286" }],
        [],
    ]);

    /// <summary>A markup with more than its keyboard: written whole through Telegram.Bot's options.</summary>
    static readonly InlineKeyboardMarkup ForcingReply = new([[InlineKeyboardButton.WithCallbackData("A", "a")]]) { ForceReply = true };

    static InlineKeyboardMarkup? Keyboard(int which) => which switch { 1 => Menu, 2 => Mixed, 3 => ForcingReply, _ => null };

    [Theory]
    [InlineData(ParseMode.None, 0)]
    [InlineData(ParseMode.Html, 1)]
    [InlineData(ParseMode.MarkdownV2, 2)]
    [InlineData(ParseMode.Html, 3)]
    public async Task Body_is_the_same_json_as_telegram_bots_own_request(ParseMode parseMode, int keyboard) =>
        await AssertSameBodyAsync(
            new SendMessageForId(-100123, Greeting, parseMode, Keyboard(keyboard)),
            new SendMessageRequest { ChatId = -100123, Text = Greeting, ParseMode = parseMode, ReplyMarkup = Keyboard(keyboard) });

    /// <summary>A reply (in a group) that goes as a plain message when the message it replies to is gone.</summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task Reply_body_is_the_same_json_as_telegram_bots_own_request(int keyboard) =>
        await AssertSameBodyAsync(
            new SendMessageForId(-100123, Greeting, ParseMode.Html, Keyboard(keyboard), replyTo: 31),
            new SendMessageRequest
            {
                ChatId = -100123, Text = Greeting, ParseMode = ParseMode.Html, ReplyMarkup = Keyboard(keyboard),
                ReplyParameters = new ReplyParameters { MessageId = 31, AllowSendingWithoutReply = true },
            });

    [Theory]
    [InlineData(ParseMode.None, 0)]
    [InlineData(ParseMode.Html, 1)]
    [InlineData(ParseMode.Markdown, 2)]
    public async Task Edit_body_is_the_same_json_as_telegram_bots_own_request(ParseMode parseMode, int keyboard) =>
        await AssertSameBodyAsync(
            new EditMessageForId(-100123, 77, Greeting, parseMode, Keyboard(keyboard)),
            new EditMessageTextRequest { ChatId = -100123, MessageId = 77, Text = Greeting, ParseMode = parseMode, ReplyMarkup = Keyboard(keyboard) });

    /// <summary>A reply longer than the body's first pooled buffer (1 KB): the body grows and stays the same JSON.</summary>
    [Fact]
    public async Task Long_body_is_the_same_json_as_telegram_bots_own_request()
    {
        var text = string.Concat(Enumerable.Repeat(Greeting + "\n", 120)); // ~5 KB of UTF-8
        await AssertSameBodyAsync(
            new SendMessageForId(42, text, ParseMode.Html, Menu),
            new SendMessageRequest { ChatId = 42, Text = text, ParseMode = ParseMode.Html, ReplyMarkup = Menu });
    }

    /// <summary>
    /// A request sent again (HttpClient resends a request whose pooled connection was closed before it went) puts the
    /// same bytes on the wire; once disposed of (its buffer back in the pool) the body cannot be read any more.
    /// </summary>
    [Fact]
    public async Task Body_reads_the_same_twice_and_not_after_it_is_disposed_of()
    {
        var content = new SendMessageForId(42, Greeting, ParseMode.Html, Menu).ToHttpContent();
        using var first = new MemoryStream();
        using var again = new MemoryStream();
        await content.CopyToAsync(first, TestContext.Current.CancellationToken);
        await content.CopyToAsync(again, TestContext.Current.CancellationToken);
        Assert.Equal(first.ToArray(), again.ToArray());
        Assert.Contains("Привіт", System.Text.Encoding.UTF8.GetString(again.ToArray()));

        content.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => content.CopyToAsync(new MemoryStream(), TestContext.Current.CancellationToken));
    }

    /// <summary>
    /// The body's arrays go back to their pool when the content is disposed of, each once (twice disposed: still once),
    /// the first one too when the body outgrew it; none before.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(120)] // ~5 KB: past the first 1 KB array
    public void Body_gives_its_arrays_back_to_the_pool_once_when_disposed_of(int lines)
    {
        var pool = new CountingPool();
        var content = new SendMessageForId(42, string.Concat(Enumerable.Repeat(Greeting + "\n", lines)), ParseMode.Html, Menu).ToHttpContent(pool);
        Assert.Equal(1, pool.Outstanding);

        content.Dispose();
        content.Dispose();

        Assert.Equal(0, pool.Outstanding);
        Assert.Equal(pool.Rented, pool.Returned);
        Assert.Equal(0, pool.ForeignReturns);
    }

    /// <summary>
    /// A body whose writing fails half-way (here the pool refuses the bigger array a long reply needs) gives back the
    /// array it had, and the next request on the thread (whose JSON writer it shares) is written right.
    /// </summary>
    [Fact]
    public async Task Failed_body_gives_its_array_back_and_the_next_one_is_right()
    {
        var pool = new CountingPool(failAtRent: 2);
        var longText = string.Concat(Enumerable.Repeat(Greeting + "\n", 120));

        Assert.Throws<InsufficientMemoryException>(() => new SendMessageForId(42, longText, ParseMode.Html, Menu).ToHttpContent(pool));

        Assert.Equal(1, pool.Rented);
        Assert.Equal(0, pool.Outstanding);
        await AssertSameBodyAsync(
            new SendMessageForId(42, Greeting, ParseMode.Html, Menu),
            new SendMessageRequest { ChatId = 42, Text = Greeting, ParseMode = ParseMode.Html, ReplyMarkup = Menu });
    }

    /// <summary>A pool that counts: arrays out now, rented and returned in all, and returns of arrays it did not hand out (or twice); it can refuse one rent.</summary>
    sealed class CountingPool(int failAtRent = 0) : System.Buffers.ArrayPool<byte>
    {
        readonly HashSet<byte[]> outstanding = new(ReferenceEqualityComparer.Instance);

        public int Outstanding => outstanding.Count;

        public int Rented { get; private set; }

        public int Returned { get; private set; }

        public int ForeignReturns { get; private set; }

        public override byte[] Rent(int minimumLength)
        {
            if (Rented + 1 == failAtRent)
            {
                throw new InsufficientMemoryException("The test's pool refuses this one.");
            }
            var array = new byte[minimumLength];
            outstanding.Add(array);
            Rented++;
            return array;
        }

        public override void Return(byte[] array, bool clearArray = false)
        {
            Returned++;
            if (!outstanding.Remove(array))
            {
                ForeignReturns++;
            }
        }
    }

    /// <summary>Ours puts on the wire the JSON value Telegram.Bot's request would, with a known length and its text as UTF-8.</summary>
    static async Task AssertSameBodyAsync(MessageTextRequest request, IRequest theirRequest)
    {
        using var ours = request.ToHttpContent();
        var theirs = theirRequest.ToHttpContent()!;

        var body = await ours.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
        var expected = JsonNode.Parse(await theirs.ReadAsStringAsync(TestContext.Current.CancellationToken));

        Assert.Equal(theirRequest.MethodName, request.MethodName);
        Assert.True(JsonNode.DeepEquals(expected, JsonNode.Parse(body)), System.Text.Encoding.UTF8.GetString(body));
        // The letters go as UTF-8, not as \u escapes of each one (a Cyrillic reply a third of the size).
        Assert.Contains("Привіт, <b>Ада</b>", System.Text.Encoding.UTF8.GetString(body));
        Assert.Equal("application/json", ours.Headers.ContentType?.MediaType);
        // A known length: the request goes out with Content-Length, not chunked.
        Assert.Equal(body.Length, ours.Headers.ContentLength);
    }
}
