using Mesh.Testing.Sandbox;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;

namespace Mesh.TelegramSandbox.Tests;

/// <summary>
/// A message's text is "1-4096 characters after entities parsing" (sendMessage, editMessageText): what a bot sees is
/// the length of the text as Telegram stores it, markup parsed and surrounding white space stripped, in UTF-16 units.
/// </summary>
public sealed class MessageTextTests(SandboxHost sandbox) : SandboxTest(sandbox)
{
    private const string TooLong = "Bad Request: message is too long";
    private const int MessageLimit = 4096;

    [Theory]
    [InlineData("<b>a</b>", 1)]
    [InlineData("&lt;", 1)]
    [InlineData("&#60;", 1)]
    [InlineData("&#x3C;", 1)]
    [InlineData("&#60", 1)] // the ';' is optional, as Telegram takes it
    [InlineData("<a href=\"https://example.com/a/long/path\">a</a>", 1)]
    [InlineData("&#128512;", 2)] // an emoji is two UTF-16 code units
    public async Task Html_counts_the_characters_of_the_parsed_text(string unit, int units)
    {
        await Client.SendTextAsync(Token, Alice, "/start", Ct);
        var fits = string.Concat(Enumerable.Repeat(unit, MessageLimit / units));

        var sent = await Bot.SendMessage(Alice.Id, fits, parseMode: ParseMode.Html, cancellationToken: Ct);
        var edited = await Bot.EditMessageText(Alice.Id, sent.MessageId, fits + unit + unit, parseMode: ParseMode.Html, cancellationToken: Ct)
            .ContinueWith(t => t.Exception?.InnerException as ApiRequestException, Ct);
        var error = await Assert.ThrowsAsync<ApiRequestException>(() => Bot.SendMessage(Alice.Id, fits + unit, parseMode: ParseMode.Html, cancellationToken: Ct));

        Assert.Equal(MessageLimit, sent.Text!.Length);
        Assert.Equal((400, TooLong), (edited?.ErrorCode, edited?.Message));
        Assert.Equal((400, TooLong), (error.ErrorCode, error.Message));
    }

    [Fact]
    public async Task White_space_around_formatted_text_is_stripped_before_the_length_is_checked()
    {
        await Client.SendTextAsync(Token, Alice, "/start", Ct);
        var text = "\n<b>" + new string('a', MessageLimit) + "</b>\r\n <i> </i>\n";

        var sent = await Bot.SendMessage(Alice.Id, text, parseMode: ParseMode.Html, cancellationToken: Ct);
        var edited = await Bot.EditMessageText(Alice.Id, sent.MessageId, "<b>" + new string('b', MessageLimit) + " </b> ", parseMode: ParseMode.Html, cancellationToken: Ct);

        Assert.Equal(new string('a', MessageLimit), sent.Text);
        var bold = Assert.Single(sent.Entities!); // the italic of a space alone is dropped
        Assert.Equal((MessageEntityType.Bold, 0, MessageLimit), (bold.Type, bold.Offset, bold.Length));
        Assert.Equal(new string('b', MessageLimit), edited.Text);
        Assert.Equal(MessageLimit, Assert.Single(edited.Entities!).Length);
    }

    [Fact]
    public async Task Entities_given_with_the_text_follow_it_when_it_is_stripped()
    {
        await Client.SendTextAsync(Token, Alice, "/start", Ct);

        var sent = await Bot.SendMessage(Alice.Id, "\r\n  bold\r\n and  \n", entities:
            [new MessageEntity { Type = MessageEntityType.Bold, Offset = 4, Length = 6 }, new MessageEntity { Type = MessageEntityType.Italic, Offset = 14, Length = 3 }],
            cancellationToken: Ct);

        Assert.Equal("bold\n and", sent.Text);
        var bold = Assert.Single(sent.Entities!); // the italic was of white space only
        Assert.Equal((MessageEntityType.Bold, 0, 5), (bold.Type, bold.Offset, bold.Length)); // "bold\n": a line break inside an entity stays
    }

    [Fact]
    public async Task An_entity_without_offset_and_length_marks_nothing()
    {
        await Client.SendTextAsync(Token, Alice, "/start", Ct);

        using var response = await Sandbox.Client.Http.PostAsync($"/bot{Token}/sendMessage", System.Net.Http.Json.JsonContent.Create(
            new { chat_id = Alice.Id, text = "plain", entities = new[] { new { type = "bold" } } }), Ct);
        var result = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!["result"]!;

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("plain", (string?)result["text"]);
        Assert.Null(result["entities"]);
    }

    [Theory]
    [InlineData("<span>x</span>", "Tag \"span\" must have class \"tg-spoiler\" at byte offset 0")]
    [InlineData("<i aba", "Unclosed start tag \"i\" at byte offset 0")]
    [InlineData("<i aba=1,>x</i>", "Unexpected end of name token at byte offset 7")]
    [InlineData("a <b", "Unclosed start tag at byte offset 2")]
    [InlineData("a < b", "Unsupported start tag \"\" at byte offset 2")]
    [InlineData("<b>x</b></i>", "Unexpected end tag at byte offset 8")]
    [InlineData("<b>x</i>", "Unmatched end tag at byte offset 4, expected \"</b>\", found \"</i>\"")]
    [InlineData("ж<b>x", "Can't find end tag corresponding to start tag \"b\"")]
    [InlineData("&#xDFDF;", "Text contains invalid Unicode characters after decoding HTML entities, check for unmatched surrogate code units")]
    public async Task Malformed_html_gets_telegrams_parse_error(string text, string error)
    {
        await Client.SendTextAsync(Token, Alice, "/start", Ct);

        var refused = await Assert.ThrowsAsync<ApiRequestException>(() => Bot.SendMessage(Alice.Id, text, parseMode: ParseMode.Html, cancellationToken: Ct));

        Assert.Equal(400, refused.ErrorCode);
        Assert.Equal("Bad Request: can't parse entities: " + error, refused.Message);
    }

    [Theory]
    [InlineData("<a>telegram.org</a>", "telegram.org", "http://telegram.org/")]
    [InlineData("<a href=\"HTTPS://Example.COM\">x</a>", "x", "https://example.com/")]
    [InlineData("<a href=\"https://example.com:08443/a b\">x</a>", "x", "https://example.com:8443/a%20b")]
    [InlineData("<a href=\"ftp://example.com/f\">x</a>", "x", null)]
    [InlineData("<a href='https://t.me/x?a=1&amp;b=2' rel=nofollow>link</a>", "link", "https://t.me/x?a=1&b=2")]
    [InlineData("<a href=\"not a link\">text</a> &nbsp;", "text &nbsp;", null)]
    [InlineData("<span class=\"tg-spoiler\">s</span> <blockquote expandable>q</blockquote>", "s q", null)]
    public async Task Html_links_and_attributes_are_read_as_telegram_reads_them(string html, string text, string? url)
    {
        await Client.SendTextAsync(Token, Alice, "/start", Ct);

        var sent = await Bot.SendMessage(Alice.Id, html, parseMode: ParseMode.Html, cancellationToken: Ct);

        Assert.Equal(text, sent.Text);
        Assert.Equal(url, sent.Entities?.FirstOrDefault(e => e.Type == MessageEntityType.TextLink)?.Url);
    }

    [Theory]
    [InlineData("<b data>x</b>", "x", MessageEntityType.Bold)]
    [InlineData("<i lang\tdata>x</i>", "x", MessageEntityType.Italic)]
    [InlineData("<blockquote expandable=\"true\">q</blockquote>", "q", MessageEntityType.ExpandableBlockquote)]
    [InlineData("<blockquote data expandable>q</blockquote>", "q", MessageEntityType.ExpandableBlockquote)]
    public async Task Html_attributes_without_a_value_are_ignored_as_telegram_ignores_them(string html, string text, MessageEntityType type)
    {
        await Client.SendTextAsync(Token, Alice, "/start", Ct);

        var sent = await Bot.SendMessage(Alice.Id, html, parseMode: ParseMode.Html, cancellationToken: Ct);

        Assert.Equal(text, sent.Text);
        Assert.Equal(type, Assert.Single(sent.Entities!).Type);
    }

    [Fact]
    public async Task Pre_with_a_language_is_one_entity()
    {
        await Client.SendTextAsync(Token, Alice, "/start", Ct);

        var sent = await Bot.SendMessage(Alice.Id, "<pre><code class=\"language-python\">x = 1</code></pre>", parseMode: ParseMode.Html, cancellationToken: Ct);

        var pre = Assert.Single(sent.Entities!);
        Assert.Equal((MessageEntityType.Pre, "python", 0, 5), (pre.Type, pre.Language, pre.Offset, pre.Length));
    }

    [Fact]
    public async Task An_entity_of_white_space_inside_the_text_is_kept()
    {
        await Client.SendTextAsync(Token, Alice, "/start", Ct);

        var sent = await Bot.SendMessage(Alice.Id, "a<u> </u>b", parseMode: ParseMode.Html, cancellationToken: Ct);

        Assert.Equal("a b", sent.Text);
        var underline = Assert.Single(sent.Entities!);
        Assert.Equal((MessageEntityType.Underline, 1, 1), (underline.Type, underline.Offset, underline.Length));
    }

    [Theory]
    [InlineData("\u00A0")] // no-break space
    [InlineData("\u200B \uFEFF")] // zero width space, byte order mark
    [InlineData("\u3000\n\u2800")] // ideographic space, braille blank
    [InlineData("<b>&#160;</b>")]
    public async Task A_text_of_nothing_but_blank_characters_is_empty(string text)
    {
        await Client.SendTextAsync(Token, Alice, "/start", Ct);

        var refused = await Assert.ThrowsAsync<ApiRequestException>(() => Bot.SendMessage(Alice.Id, text, parseMode: ParseMode.Html, cancellationToken: Ct));

        Assert.Equal((400, "Bad Request: message text is empty"), (refused.ErrorCode, refused.Message));
    }
}
