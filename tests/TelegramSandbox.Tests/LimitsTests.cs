using Mesh.Testing;
using Mesh.Testing.Sandbox;
using Mesh.TelegramSandbox.Client;
using Microsoft.Extensions.Time.Testing;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types;
using Telegram.Bot.Types.ReplyMarkups;

namespace Mesh.TelegramSandbox.Tests;

/// <summary>Limits, tokens, faults and sink mode change a whole sandbox, so each test starts its own.</summary>
public sealed class LimitsTests
{
    private static readonly SandboxUser Alice = new(1001, "Alice");
    private static readonly SandboxUser Boris = new(1002, "Boris");
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task More_than_one_message_a_second_to_a_chat_gets_429_with_retry_after()
    {
        await using var host = await SandboxHost.StartAsync(new Dictionary<string, string?>
        {
            ["Sandbox:Limits:PerChatPerSecond"] = "1",
            ["Sandbox:Limits:PerChatBurst"] = "3",
        }, Ct);
        var bot = SandboxTest.NewBot(host, host.BotToken);
        await host.Client.SendTextAsync(host.BotToken, Alice, "/start", Ct);
        await host.Client.SendTextAsync(host.BotToken, Boris, "/start", Ct);

        for (var i = 0; i < 3; i++) await bot.SendMessage(Alice.Id, $"burst {i}", cancellationToken: Ct);
        var error = await Assert.ThrowsAsync<ApiRequestException>(() => bot.SendMessage(Alice.Id, "one too many", cancellationToken: Ct));
        var otherChat = await bot.SendMessage(1002, "another chat is fine", cancellationToken: Ct);

        Assert.Equal(429, error.ErrorCode);
        Assert.StartsWith("Too Many Requests: retry after ", error.Message);
        Assert.True(error.Parameters?.RetryAfter >= 1);
        Assert.NotNull(otherChat);
    }

    [Fact]
    public async Task More_than_the_global_rate_gets_429_whatever_the_chat()
    {
        await using var host = await SandboxHost.StartAsync(new Dictionary<string, string?>
        {
            ["Sandbox:Limits:GlobalPerSecond"] = "1",
            ["Sandbox:Limits:GlobalBurst"] = "5",
        }, Ct);
        var bot = SandboxTest.NewBot(host, host.BotToken);
        for (var user = 1; user <= 6; user++) await host.Client.SendTextAsync(host.BotToken, new SandboxUser(user, $"U{user}"), "/start", Ct);

        for (var user = 1; user <= 5; user++) await bot.SendMessage(user, "hi", cancellationToken: Ct);
        var error = await Assert.ThrowsAsync<ApiRequestException>(() => bot.SendMessage(6, "hi", cancellationToken: Ct));

        Assert.Equal(429, error.ErrorCode);
        Assert.NotNull(error.Parameters?.RetryAfter);
    }

    [Fact]
    public async Task The_21st_message_within_a_minute_to_a_group_gets_429_with_retry_after_and_a_private_chat_does_not()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        // Telegram's 20 a minute (the sandbox's default), 20 at once; the per-chat and global limits off, so that only it refuses.
        await using var host = await SandboxHost.StartAsync(new Dictionary<string, string?>
        {
            ["Sandbox:Limits:PerGroupPerMinute"] = "20",
            ["Sandbox:Limits:PerGroupBurst"] = "20",
        }, clock, Ct);
        var bot = SandboxTest.NewBot(host, host.BotToken);
        var group = await host.Client.CreateGroupAsync(host.BotToken, "Team", [Alice, Boris], ct: Ct);
        var other = await host.Client.CreateGroupAsync(host.BotToken, "Other team", [Boris], supergroup: true, ct: Ct);
        await host.Client.SendTextAsync(host.BotToken, Alice, "/start", Ct);

        for (var i = 1; i <= 20; i++) await bot.SendMessage(group.ChatId, $"message {i}", cancellationToken: Ct);
        var refused = await Assert.ThrowsAsync<ApiRequestException>(() => bot.SendMessage(group.ChatId, "message 21", cancellationToken: Ct));
        for (var i = 1; i <= 25; i++) await bot.SendMessage(Alice.Id, $"private {i}", cancellationToken: Ct);
        await bot.SendMessage(other.ChatId, "another group is fine", cancellationToken: Ct);
        clock.Advance(TimeSpan.FromSeconds(refused.Parameters!.RetryAfter!.Value - 1));
        var early = await Assert.ThrowsAsync<ApiRequestException>(() => bot.SendMessage(group.ChatId, "message 21", cancellationToken: Ct));
        clock.Advance(TimeSpan.FromSeconds(1));
        await bot.SendMessage(group.ChatId, "message 21", cancellationToken: Ct);

        Assert.Equal(429, refused.ErrorCode);
        Assert.Equal("Too Many Requests: retry after 3", refused.Message); // a minute over 20
        Assert.Equal(3, refused.Parameters.RetryAfter);
        Assert.Equal((429, 1), (early.ErrorCode, early.Parameters?.RetryAfter));
        var sent = await host.Client.GetBotMessagesAsync(host.BotToken, group.ChatId, Ct);
        Assert.Equal([.. Enumerable.Range(1, 21).Select(i => $"message {i}")], sent.Select(m => m.Text));
        Assert.Equal(25, (await host.Client.GetBotMessagesAsync(host.BotToken, Alice.Id, Ct)).Count);
        var calls = await host.Client.GetCallsAsync(host.BotToken, Ct);
        Assert.Equal((49, 2), (calls.Of("sendMessage"), calls.RateLimited));
    }

    [Theory]
    [InlineData("editMessageText")]
    [InlineData("editMessageReplyMarkup")]
    public async Task Edits_count_against_a_chat_s_flood_limit_with_its_sends_and_get_429_with_retry_after(string method)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await SandboxHost.StartAsync(new Dictionary<string, string?>
        {
            ["Sandbox:Limits:PerChatPerSecond"] = "1",
            ["Sandbox:Limits:PerChatBurst"] = "3",
        }, clock, Ct);
        var bot = SandboxTest.NewBot(host, host.BotToken);
        await host.Client.SendTextAsync(host.BotToken, Alice, "/start", Ct);
        await host.Client.SendTextAsync(host.BotToken, Boris, "/start", Ct);

        var menu = await bot.SendMessage(Alice.Id, "v0", replyMarkup: Keyboard(0), cancellationToken: Ct);
        await EditAsync(bot, method, menu, 1);
        await EditAsync(bot, method, menu, 2);
        var refused = await Assert.ThrowsAsync<ApiRequestException>(() => EditAsync(bot, method, menu, 3));
        var send = await Assert.ThrowsAsync<ApiRequestException>(() => bot.SendMessage(Alice.Id, "the edits used up the chat's sends", cancellationToken: Ct));
        var unchanged = await ButtonAsync(host, menu.MessageId);
        await EditAsync(bot, Boris.Id, method, await bot.SendMessage(Boris.Id, "v0", replyMarkup: Keyboard(0), cancellationToken: Ct), 1);
        clock.Advance(TimeSpan.FromSeconds(refused.Parameters!.RetryAfter!.Value));
        await EditAsync(bot, method, menu, 3);

        Assert.Equal(429, refused.ErrorCode);
        Assert.Equal("Too Many Requests: retry after 1", refused.Message);
        Assert.Equal(1, refused.Parameters.RetryAfter);
        Assert.Equal(429, send.ErrorCode);
        Assert.Equal("k2", unchanged);
        Assert.Equal("k3", await ButtonAsync(host, menu.MessageId));
    }

    [Theory]
    [InlineData("editMessageText")]
    [InlineData("editMessageReplyMarkup")]
    public async Task Edits_count_against_the_bot_s_flood_limit_whatever_the_chat(string method)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await SandboxHost.StartAsync(new Dictionary<string, string?>
        {
            ["Sandbox:Limits:GlobalPerSecond"] = "1",
            ["Sandbox:Limits:GlobalBurst"] = "3",
        }, clock, Ct);
        var bot = SandboxTest.NewBot(host, host.BotToken);
        await host.Client.SendTextAsync(host.BotToken, Alice, "/start", Ct);
        await host.Client.SendTextAsync(host.BotToken, Boris, "/start", Ct);

        var alice = await bot.SendMessage(Alice.Id, "v0", replyMarkup: Keyboard(0), cancellationToken: Ct);
        var boris = await bot.SendMessage(Boris.Id, "v0", replyMarkup: Keyboard(0), cancellationToken: Ct);
        await EditAsync(bot, method, alice, 1);
        var refused = await Assert.ThrowsAsync<ApiRequestException>(() => EditAsync(bot, Boris.Id, method, boris, 1));
        clock.Advance(TimeSpan.FromSeconds(refused.Parameters!.RetryAfter!.Value));
        await EditAsync(bot, Boris.Id, method, boris, 1);

        Assert.Equal(429, refused.ErrorCode);
        Assert.Equal(1, refused.Parameters.RetryAfter);
    }

    [Fact]
    public async Task Token_not_listed_in_Sandbox_Tokens_gets_401_unauthorized()
    {
        var allowed = SandboxHost.NewBotToken();
        await using var host = await SandboxHost.StartAsync(new Dictionary<string, string?> { ["Sandbox:Tokens:0"] = allowed }, Ct);

        var me = await SandboxTest.NewBot(host, allowed).GetMe(Ct);
        var error = await Assert.ThrowsAsync<ApiRequestException>(() => SandboxTest.NewBot(host, SandboxHost.NewBotToken()).GetMe(Ct));

        Assert.Equal(long.Parse(allowed.Split(':')[0]), me.Id);
        Assert.Equal(401, error.ErrorCode);
        Assert.Equal("Unauthorized", error.Message);
    }

    [Fact]
    public async Task Fault_switch_fails_every_call_until_it_is_cleared()
    {
        await using var host = await SandboxHost.StartAsync(new Dictionary<string, string?>(), Ct);
        var bot = SandboxTest.NewBot(host, host.BotToken);

        await host.Client.SetFaultAsync(500, TimeSpan.FromMinutes(1), ct: Ct);
        var serverError = await Assert.ThrowsAsync<ApiRequestException>(() => bot.GetMe(Ct));
        await host.Client.SetFaultAsync(429, TimeSpan.FromMinutes(1), retryAfterSeconds: 7, ct: Ct);
        var tooMany = await Assert.ThrowsAsync<ApiRequestException>(() => bot.GetMe(Ct));
        await host.Client.ClearFaultAsync(Ct);
        var me = await bot.GetMe(Ct);

        Assert.Equal(500, serverError.ErrorCode);
        Assert.Equal(7, tooMany.Parameters?.RetryAfter);
        Assert.True(me.IsBot);
    }

    [Fact]
    public async Task Fault_switch_ends_by_itself()
    {
        await using var host = await SandboxHost.StartAsync(new Dictionary<string, string?>(), Ct);
        var bot = SandboxTest.NewBot(host, host.BotToken);

        await host.Client.SetFaultAsync(503, TimeSpan.FromSeconds(2), ct: Ct);
        await Assert.ThrowsAnyAsync<RequestException>(() => bot.GetMe(Ct));

        await Until.TrueAsync(async () =>
        {
            try
            {
                return (await bot.GetMe(Ct)).IsBot;
            }
            catch (RequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(5), "the Bot API to answer again after the fault");
    }

    [Fact]
    public async Task Sink_mode_answers_sendMessage_and_counts_it()
    {
        await using var host = await SandboxHost.StartAsync(new Dictionary<string, string?> { ["Sandbox:Sink"] = "true" }, Ct);
        var bot = SandboxTest.NewBot(host, host.BotToken);

        for (var i = 0; i < 20; i++) await bot.SendMessage(424242, "load", cancellationToken: Ct);
        var count = await host.Client.GetSinkCountAsync(Ct);
        await host.Client.ResetSinkCountAsync(Ct);

        Assert.Equal(20, count);
        Assert.Equal(0, await host.Client.GetSinkCountAsync(Ct));
    }

    private static InlineKeyboardMarkup Keyboard(int version) => new(InlineKeyboardButton.WithCallbackData($"v{version}", $"k{version}"));

    /// <summary>Edits Alice's <paramref name="message"/> to version <paramref name="version"/> with <paramref name="method"/>.</summary>
    private static Task EditAsync(TelegramBotClient bot, string method, Message message, int version) => EditAsync(bot, Alice.Id, method, message, version);

    private static Task EditAsync(TelegramBotClient bot, long chatId, string method, Message message, int version) => method switch
    {
        "editMessageText" => bot.EditMessageText(chatId, message.MessageId, $"v{version}", replyMarkup: Keyboard(version), cancellationToken: Ct),
        "editMessageReplyMarkup" => bot.EditMessageReplyMarkup(chatId, message.MessageId, Keyboard(version), cancellationToken: Ct),
        _ => throw new ArgumentOutOfRangeException(nameof(method)),
    };

    /// <summary>The callback data of the first button under Alice's message as the chat shows it now.</summary>
    private static async Task<string?> ButtonAsync(SandboxHost host, int messageId) =>
        (await host.Client.GetChatAsync(host.BotToken, Alice.Id, ct: Ct)).Messages.Single(m => m.MessageId == messageId).InlineKeyboard![0][0].CallbackData;
}
