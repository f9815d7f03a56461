using Mesh.Bot.Telegram;
using Mesh.Testing.Sandbox;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Telegram.Bot;

namespace Mesh.Bot.Tests;

/// <summary>The bot's sender as the service builds it, pointed at a sandbox, for tests of sending itself.</summary>
static class SandboxSender
{
    public static OutboundSender Create(SandboxHost sandbox, string botToken, HttpClient http, IConnectionMultiplexer redis,
        string keyPrefix, double perChatPerSecond = 0) =>
        Create(sandbox.BaseUrl, botToken, http, redis, keyPrefix, perChatPerSecond);

    /// <summary>The sender pointed at the Bot API at <paramref name="apiBaseUrl"/>.</summary>
    public static OutboundSender Create(string apiBaseUrl, string botToken, HttpClient http, IConnectionMultiplexer redis,
        string keyPrefix, double perChatPerSecond = 0)
    {
        var options = Options.Create(new TelegramOptions
        {
            BotToken = botToken,
            ApiBaseUrl = apiBaseUrl,
            PerChatPerSecond = perChatPerSecond,
            PerChatBurst = 1,
            GlobalPerSecond = 0,
            SendRetryDelay = TimeSpan.FromMilliseconds(50),
        });
        var bot = new TelegramBotClient(new TelegramBotClientOptions(botToken, apiBaseUrl) { RetryCount = 0 }, http);
        var botOptions = Options.Create(new BotOptions { RedisKeyPrefix = keyPrefix });
        return new OutboundSender(bot, new BotApiTransport(http, options), new SendRateLimits(options, TimeProvider.System), new UnreachableChats(redis, botOptions, TimeProvider.System),
            options, TimeProvider.System, NullLogger<OutboundSender>.Instance);
    }
}
