using Mesh.Bot.Telegram;
using Mesh.Testing;
using Mesh.Testing.Services;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Telegram.Bot;
using Telegram.Bot.Types.Enums;

namespace Mesh.Bot.Tests.Integration;

/// <summary>The sender against a real HTTP Bot API stand-in and real Redis.</summary>
public sealed class OutboundSenderTests(RedisServerFixture redis) : IAsyncLifetime
{
    readonly string prefix = RedisServerFixture.NewKeyPrefix("sender");
    BotApiStandIn telegram = null!;
    HttpClient http = null!;

    public async ValueTask InitializeAsync()
    {
        telegram = await BotApiStandIn.StartAsync();
        http = new HttpClient();
    }

    public async ValueTask DisposeAsync()
    {
        http.Dispose();
        await telegram.DisposeAsync();
    }

    OutboundSender NewSender(double perChatPerSecond = 0)
    {
        var options = Options.Create(new TelegramOptions
        {
            BotToken = UpdatePathHost.BotToken,
            ApiBaseUrl = telegram.BaseUrl,
            PerChatPerSecond = perChatPerSecond,
            PerChatBurst = 1,
            GlobalPerSecond = 0,
            SendRetryDelay = TimeSpan.FromMilliseconds(50),
        });
        var bot = new TelegramBotClient(new TelegramBotClientOptions(UpdatePathHost.BotToken, telegram.BaseUrl) { RetryCount = 0 }, http);
        var botOptions = Options.Create(new BotOptions { RedisKeyPrefix = prefix });
        return new OutboundSender(bot, new SendRateLimits(options), new UnreachableChats(redis.Connection, botOptions, TimeProvider.System),
            options, TimeProvider.System, NullLogger<OutboundSender>.Instance);
    }

    [Fact]
    public async Task Rate_limited_send_waits_retry_after_then_delivers_once()
    {
        telegram.RateLimit(chatId: 7, times: 1, retryAfterSeconds: 1);

        var outcome = await NewSender().SendMessageAsync(7, "hi", null, ParseMode.Html, TestContext.Current.CancellationToken);

        Assert.Equal(SendOutcome.Sent, outcome);
        var attempts = telegram.Attempts.Where(a => a.ChatId == 7).ToList();
        Assert.Equal([429, 200], attempts.Select(a => a.Status));
        Assert.True(attempts[1].At - attempts[0].At >= TimeSpan.FromSeconds(0.95), $"retried after {attempts[1].At - attempts[0].At}");
        Assert.Single(telegram.SentTo(7));
    }

    [Fact]
    public async Task Blocked_user_is_recorded_unreachable_without_retry()
    {
        telegram.Block(8);

        var outcome = await NewSender().SendMessageAsync(8, "hi", null, ParseMode.Html, TestContext.Current.CancellationToken);

        Assert.Equal(SendOutcome.Blocked, outcome);
        Assert.Single(telegram.Attempts, a => a.ChatId == 8);
        Assert.True(await redis.Connection.GetDatabase().HashExistsAsync(prefix + "unreachable", 8));
    }

    [Fact]
    public async Task Per_chat_limit_spaces_messages_to_one_chat()
    {
        var sender = NewSender(perChatPerSecond: 5);

        for (var i = 0; i < 4; i++)
        {
            await sender.SendMessageAsync(9, $"m{i}", null, ParseMode.Html, TestContext.Current.CancellationToken);
        }

        var times = telegram.SentTo(9).Select(m => m.At).ToList();
        Assert.True(times[^1] - times[0] >= TimeSpan.FromMilliseconds(500), $"4 messages at 5/s took {times[^1] - times[0]}");
    }
}
