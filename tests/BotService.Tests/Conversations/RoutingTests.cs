using Mesh.Bot.Conversations;
using Mesh.Bot.Telegram;
using Mesh.Bot.Updates;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;

namespace Mesh.Bot.Tests.Conversations;

/// <summary>Typed callback data, the router's filters and the splitting of long texts — no I/O.</summary>
public sealed class RoutingTests
{
    sealed record TicketButton(string Action, long Id) : CallbackData("tk");

    sealed record FlagButton(bool On, DayOfWeek Day, string? Note) : CallbackData("fl");

    static readonly Step Subject = new("support.subject");

    [Fact]
    public void Callback_data_packs_and_unpacks_its_fields()
    {
        var packed = new TicketButton("open", 42).Pack();

        Assert.Equal("tk:open:42", packed);
        Assert.Equal(new TicketButton("open", 42), CallbackData.Unpack<TicketButton>(packed));
        Assert.Equal(new FlagButton(true, DayOfWeek.Friday, "a:b%c"), CallbackData.Unpack<FlagButton>(new FlagButton(true, DayOfWeek.Friday, "a:b%c").Pack()));
    }

    [Fact]
    public void Callback_data_writes_booleans_enums_and_escapes_as_digits_and_percent_codes()
    {
        Assert.Equal("fl:1:5:a%3Ab%25c", new FlagButton(true, DayOfWeek.Friday, "a:b%c").Pack());
        Assert.Equal("fl:0:0:", new FlagButton(false, DayOfWeek.Sunday, null).Pack());
        Assert.Equal("tk:x:-9223372036854775808", new TicketButton("x", long.MinValue).Pack());
    }

    [Theory]
    [InlineData("mn:main:1:")]
    [InlineData("tk:open")]
    [InlineData("tk:open:notanumber")]
    [InlineData("")]
    [InlineData(null)]
    public void Callback_data_of_another_shape_does_not_unpack(string? data) => Assert.Null(CallbackData.Unpack<TicketButton>(data));

    [Fact]
    public void Callback_data_over_64_bytes_is_refused_when_packed()
    {
        Assert.Equal(64, new TicketButton(new string('a', 59), 7).Pack().Length);

        var tooLong = Assert.Throws<CallbackDataTooLong>(() => new TicketButton(new string('a', 60), 7).Pack());
        Assert.Equal(65, tooLong.Bytes);
        Assert.Throws<CallbackDataTooLong>(() => new TicketButton(new string('я', 30), 7).Pack()); // 60 bytes of UTF-8 in 30 characters
    }

    [Fact]
    public void Start_and_cancel_win_over_a_step_that_takes_text()
    {
        var router = new BotRouter();
        router.Command("cancel", _ => Task.CompletedTask);
        router.Text(Subject, _ => Task.CompletedTask);
        router.Callback<TicketButton>(b => b.Action == "open", (_, _) => Task.CompletedTask).At(Subject);

        Assert.Equal("/cancel", router.Match(Message("/cancel", Subject))?.Name);
        Assert.Equal("text@support.subject", router.Match(Message("Printer is on fire", Subject))?.Name);
        Assert.Null(router.Match(Message("Printer is on fire", step: null)));
        Assert.Equal("callback:tk", router.Match(Callback(new TicketButton("open", 1).Pack(), Subject))?.Name);
        Assert.Null(router.Match(Callback(new TicketButton("close", 1).Pack(), Subject)));
        Assert.Null(router.Match(Callback(new TicketButton("open", 1).Pack(), step: null)));
    }

    [Fact]
    public void Chat_type_filter_keeps_a_route_to_its_chats()
    {
        var router = new BotRouter();
        router.Command("admin", _ => Task.CompletedTask).InChats(ChatType.Group, ChatType.Supergroup);

        Assert.Null(router.Match(Message("/admin", step: null)));
        Assert.NotNull(router.Match(Message("/admin", step: null, ChatType.Group)));
    }

    [Theory]
    [InlineData(10, "short", new[] { "short" })]
    [InlineData(10, "aaaa\nbbbb\ncccc", new[] { "aaaa\nbbbb", "cccc" })]
    [InlineData(10, "aaaaa bbbbbbbbbbbb", new[] { "aaaaa", "bbbbbbbbbb", "bb" })]
    [InlineData(5, "aaaaa\nb", new[] { "aaaaa", "b" })]
    public void Long_text_is_split_at_line_boundaries(int max, string text, string[] parts) =>
        Assert.Equal(parts, MessageText.Split(text, max));

    static BotContext Message(string text, Step? step, ChatType chatType = ChatType.Private) =>
        WithFlow(new Update { Id = 1, Message = new Message { Text = text, Chat = new Chat { Id = 1, Type = chatType }, From = new User { Id = 1 } } }, step);

    static BotContext Callback(string data, Step? step) =>
        WithFlow(new Update { Id = 1, CallbackQuery = new CallbackQuery { Id = "q", Data = data, From = new User { Id = 1 } } }, step);

    static BotContext WithFlow(Update update, Step? step)
    {
        var ctx = new BotContext(update, 1, null!, null!, CancellationToken.None);
        ctx.Flow = new ConversationFlow(null!, 1, 1, new ConversationState(step, null, 1, null));
        return ctx;
    }
}
