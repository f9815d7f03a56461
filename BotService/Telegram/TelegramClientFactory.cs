using Microsoft.Extensions.Options;
using Telegram.Bot;

namespace Mesh.Bot.Telegram;

/// <summary>Builds the Bot API client on <c>Telegram:ApiBaseUrl</c>, with Telegram.Bot's own retry turned off.</summary>
public static class TelegramClientFactory
{
    public const string HttpClientName = "telegram";

    /// <summary>
    /// The HttpClient of every Bot API call: a bare connection pool, not one from IHttpClientFactory. Every message
    /// the bot sends goes through it, so it carries nothing it does not need: no resilience handler (it would retry
    /// 429s itself; <see cref="OutboundSender"/> does the retrying), no service-discovery lookup (the address is a
    /// URL), no request logging (the URL carries the bot token). Traces still see each call (HttpClient's own activity).
    /// The Bot API sets no cookie and redirects nowhere, so the handler has no cookie or redirect stage either: two
    /// steps and their allocations fewer on every call.
    /// </summary>
    public static HttpClient CreateHttpClient(IServiceProvider services, object? key) =>
        new(new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5), // follow DNS changes of api.telegram.org
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            AllowAutoRedirect = false,
            UseCookies = false,
        })
        {
            Timeout = TimeSpan.FromSeconds(30),
        };

    public static ITelegramBotClient Create(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<TelegramOptions>>().Value;
        var http = services.GetRequiredKeyedService<HttpClient>(HttpClientName);
        return new TelegramBotClient(ClientOptions(options), http);
    }

    /// <summary>
    /// Telegram.Bot's options for the configured token and <see cref="TelegramOptions.ApiBaseUrl"/> (none: Telegram's own),
    /// with its own 429 retry off. Their <see cref="TelegramBotClientOptions.BaseRequestUrl"/> is the address every Bot API
    /// call of the bot goes to, through Telegram.Bot or <see cref="BotApiTransport"/>.
    /// </summary>
    public static TelegramBotClientOptions ClientOptions(TelegramOptions options) =>
        new(options.BotToken, string.IsNullOrWhiteSpace(options.ApiBaseUrl) ? null : options.ApiBaseUrl.TrimEnd('/')) { RetryCount = 0 };
}
