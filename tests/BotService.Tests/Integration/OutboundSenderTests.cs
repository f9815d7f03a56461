using System.Diagnostics;
using Mesh.Bot.Telegram;
using Mesh.Testing;
using Mesh.Testing.Sandbox;
using Mesh.Testing.Services;
using Mesh.TelegramSandbox.Client;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Telegram.Bot;
using Telegram.Bot.Types.Enums;

namespace Mesh.Bot.Tests.Integration;

/// <summary>
/// The sender against the sandbox as Telegram (its 429s, 403s and flood limits) and real Redis. Each test talks to the
/// sandbox as a bot of its own, to users of its own.
/// </summary>
public sealed class OutboundSenderTests(RedisServerFixture redis) : IAsyncLifetime
{
    readonly string prefix = RedisServerFixture.NewKeyPrefix("sender");
    readonly string token = SandboxHost.NewBotToken();
    readonly HttpClient http = new();
    SandboxHost sandbox = null!;

    static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => sandbox = await SandboxHost.StartAsync(new Dictionary<string, string?>(), Ct);

    public async ValueTask DisposeAsync()
    {
        http.Dispose();
        await sandbox.DisposeAsync();
    }

    OutboundSender NewSender(SandboxHost telegram, double perChatPerSecond = 0) =>
        SandboxSender.Create(telegram, token, http, redis.Connection, prefix, perChatPerSecond);

    /// <summary>A user who wrote to the bot: Telegram (and the sandbox) refuse messages to a chat that was never opened.</summary>
    async Task<SandboxUser> UserAsync(SandboxHost telegram)
    {
        var user = SandboxMesh.NewUser();
        await telegram.Client.SendTextAsync(token, user, "hi", Ct);
        return user;
    }

    async Task<List<string>> ReceivedAsync(SandboxHost telegram, long chat) =>
        [.. (await telegram.Client.GetBotMessagesAsync(token, chat, Ct)).Select(m => m.Text)];

    [Fact]
    public async Task Send_refused_with_429_is_retried_no_earlier_than_retry_after_and_delivered_once()
    {
        var user = await UserAsync(sandbox);
        var sender = NewSender(sandbox);
        // A first message opens the connection, so that the refused one reaches the sandbox at once, inside the fault.
        Assert.Equal(SendOutcome.Sent, await sender.SendMessageAsync((await UserAsync(sandbox)).Id, "warm-up", null, ParseMode.Html, Ct));
        var retryAfter = TimeSpan.FromSeconds(2);
        // Refused for a short moment only: a retry before retry_after would already get through.
        await sandbox.Client.SetFaultAsync(429, TimeSpan.FromSeconds(1), (int)retryAfter.TotalSeconds, Ct);

        var elapsed = Stopwatch.StartNew();
        var outcome = await sender.SendMessageAsync(user.Id, "hi", null, ParseMode.Html, Ct);
        elapsed.Stop();

        Assert.Equal(SendOutcome.Sent, outcome);
        Assert.InRange(elapsed.Elapsed, retryAfter, retryAfter + TimeSpan.FromSeconds(3));
        Assert.Equal(["hi"], await ReceivedAsync(sandbox, user.Id));
    }

    [Fact]
    public async Task Html_is_measured_as_Telegram_measures_it_and_a_long_one_is_split_into_well_formed_parts()
    {
        var user = await UserAsync(sandbox);
        var sender = NewSender(sandbox);
        // 4,000 characters as Telegram counts them, 16,000 as written: one message.
        var escaped = string.Concat(Enumerable.Repeat("&lt;", 4000));
        // 5,000 characters in one bold run with no line break or space: two messages, each bold.
        var bold = "<b>" + new string('x', 5000) + "</b>";

        var one = await sender.SendMessageAsync(user.Id, escaped, null, ParseMode.Html, Ct);
        var two = await sender.SendMessageAsync(user.Id, bold, null, ParseMode.Html, Ct);
        var messages = await sandbox.Client.GetBotMessagesAsync(token, user.Id, Ct);

        Assert.Equal((SendOutcome.Sent, SendOutcome.Sent), (one, two));
        Assert.Equal([4000, 4096, 904], messages.Select(m => m.Text.Length));
        Assert.Equal(new string('<', 4000), messages[0].Text);
        Assert.All(messages.Skip(1), m => Assert.Equal("bold", (string?)Assert.Single(m.Entities!)!["type"]));
    }

    /// <summary>A sandbox whose <paramref name="limit"/> ("PerChat" or "Global") is one message a second with no burst (the sender's own limits off).</summary>
    static Task<SandboxHost> StartLimitedAsync(string limit) => SandboxHost.StartAsync(new Dictionary<string, string?>
    {
        [$"Sandbox:Limits:{limit}PerSecond"] = "1",
        [$"Sandbox:Limits:{limit}Burst"] = "1",
    }, Ct);

    [Theory]
    [InlineData("PerChat")]
    [InlineData("Global")]
    public async Task Send_over_Telegrams_flood_limit_waits_its_retry_after_and_both_messages_arrive_in_order(string limit)
    {
        await using var limited = await StartLimitedAsync(limit);
        var user = await UserAsync(limited);
        var sender = NewSender(limited);

        Assert.Equal(SendOutcome.Sent, await sender.SendMessageAsync(user.Id, "one", null, ParseMode.Html, Ct));
        var elapsed = Stopwatch.StartNew();
        var second = await sender.SendMessageAsync(user.Id, "two", null, ParseMode.Html, Ct);
        elapsed.Stop();

        Assert.Equal(SendOutcome.Sent, second);
        Assert.True(elapsed.Elapsed >= TimeSpan.FromSeconds(1), $"the second message went out {elapsed.Elapsed} after the first (retry_after 1 s)");
        Assert.Equal(["one", "two"], await ReceivedAsync(limited, user.Id));
    }

    [Theory]
    [InlineData("PerChat")]
    [InlineData("Global")]
    public async Task Edit_over_Telegrams_flood_limit_waits_its_retry_after_and_the_message_is_edited_once(string limit)
    {
        // Edits take from Telegram's limits too.
        await using var limited = await StartLimitedAsync(limit);
        var user = await UserAsync(limited);
        var sender = NewSender(limited);
        var menu = await sender.SendAsync(user.Id, "menu", null, ParseMode.Html, Ct);

        var elapsed = Stopwatch.StartNew();
        var edit = await sender.EditAsync(user.Id, menu.MessageId!.Value, "menu, edited", null, ParseMode.Html, Ct);
        elapsed.Stop();

        Assert.Equal(SendOutcome.Sent, edit.Outcome);
        Assert.True(elapsed.Elapsed >= TimeSpan.FromSeconds(1), $"the edit went out {elapsed.Elapsed} after the message (retry_after 1 s)");
        var messages = await limited.Client.GetBotMessagesAsync(token, user.Id, Ct);
        Assert.Equal("menu, edited", Assert.Single(messages).Text);
        Assert.Equal(2, (await limited.Client.GetCallsAsync(token, Ct)).Of("editMessageText")); // refused once, then edited
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    public async Task Send_answered_with_a_server_error_is_retried_with_back_off_and_delivered_once(int status)
    {
        var user = await UserAsync(sandbox);
        var sender = NewSender(sandbox);
        Assert.Equal(SendOutcome.Sent, await sender.SendMessageAsync((await UserAsync(sandbox)).Id, "warm-up", null, ParseMode.Html, Ct));
        // Tries 50, 100, 200 ms apart (SendRetryDelay doubled): a fault of 120 ms refuses at least the first two.
        await sandbox.Client.SetFaultAsync(status, TimeSpan.FromMilliseconds(120), ct: Ct);

        var elapsed = Stopwatch.StartNew();
        var outcome = await sender.SendMessageAsync(user.Id, "after the outage", null, ParseMode.Html, Ct);
        elapsed.Stop();

        Assert.Equal(SendOutcome.Sent, outcome);
        Assert.True(elapsed.Elapsed >= TimeSpan.FromMilliseconds(50), $"delivered {elapsed.Elapsed} after the first try: no back-off after the refusal");
        Assert.Equal(["after the outage"], await ReceivedAsync(sandbox, user.Id));
    }

    [Fact]
    public async Task Send_to_a_Bot_API_that_cannot_be_reached_is_tried_with_back_off_then_fails_without_throwing()
    {
        var user = await UserAsync(sandbox);
        // Port 1 of the loopback: nothing listens there, and no test's server is ever given it.
        var sender = SandboxSender.Create("http://127.0.0.1:1", token, http, redis.Connection, prefix);
        var elapsed = Stopwatch.StartNew();

        var outcome = await sender.SendMessageAsync(user.Id, "hi", null, ParseMode.Html, Ct);
        elapsed.Stop();

        Assert.Equal(SendOutcome.Failed, outcome);
        // Five tries, 50, 100, 200 and 400 ms apart: given up only after all of them.
        Assert.True(elapsed.Elapsed >= TimeSpan.FromMilliseconds(750), $"gave up {elapsed.Elapsed} after the first try");
        Assert.Empty(await ReceivedAsync(sandbox, user.Id));
    }

    [Fact]
    public async Task Send_Telegram_refuses_fails_at_once_with_Telegram_s_error()
    {
        var never = SandboxMesh.NewUser(); // never wrote to the bot: Telegram has no chat with them

        var sent = await NewSender(sandbox).SendAsync(never.Id, "hi", null, ParseMode.Html, Ct);

        Assert.Equal(SendOutcome.Failed, sent.Outcome);
        Assert.Equal(1, (await sandbox.Client.GetCallsAsync(token, Ct)).Of("sendMessage")); // a refusal is not retried
        Assert.Equal("Telegram refused sendMessage with 400 Bad Request: chat not found", sent.Error);
    }

    [Fact]
    public async Task Send_to_a_user_who_blocked_the_bot_is_refused_once_and_the_user_is_recorded_unreachable()
    {
        var user = await UserAsync(sandbox);
        await sandbox.Client.BlockAsync(token, user.Id, Ct);
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        var outcome = await NewSender(sandbox).SendMessageAsync(user.Id, "hi", null, ParseMode.Html, Ct);

        Assert.Equal(SendOutcome.Blocked, outcome);
        Assert.Equal(1, (await sandbox.Client.GetCallsAsync(token, Ct)).Of("sendMessage")); // no retry
        Assert.Empty(await ReceivedAsync(sandbox, user.Id));
        var refusedAt = (long)await redis.Connection.GetDatabase().HashGetAsync(prefix + "unreachable", user.Id);
        Assert.InRange(refusedAt, before, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
    }

    [Fact]
    public async Task Own_per_chat_limit_spaces_messages_to_one_chat()
    {
        var user = await UserAsync(sandbox);
        var sender = NewSender(sandbox, perChatPerSecond: 5);

        // A burst of one at 5/s: the first message goes at once, each further one 200 ms after the one before, so six
        // messages take at least five intervals; without the limit they take a few milliseconds.
        var elapsed = Stopwatch.StartNew();
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(SendOutcome.Sent, await sender.SendMessageAsync(user.Id, $"m{i}", null, ParseMode.Html, Ct));
        }
        elapsed.Stop();

        Assert.True(elapsed.Elapsed >= TimeSpan.FromMilliseconds(5 * 200 - 20), $"6 messages at 5/s took {elapsed.Elapsed}");
        Assert.Equal(["m0", "m1", "m2", "m3", "m4", "m5"], await ReceivedAsync(sandbox, user.Id));
    }
}
