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
    /// </summary>
    public static HttpClient CreateHttpClient(IServiceProvider services, object? key) =>
        new(new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5), // follow DNS changes of api.telegram.org
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            ConnectTimeout = TimeSpan.FromSeconds(10),
        })
        {
            Timeout = TimeSpan.FromSeconds(30),
        };

    public static ITelegramBotClient Create(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<TelegramOptions>>().Value;
        var http = services.GetRequiredKeyedService<HttpClient>(HttpClientName);
        var baseUrl = string.IsNullOrWhiteSpace(options.ApiBaseUrl) ? null : options.ApiBaseUrl.TrimEnd('/');
        return new TelegramBotClient(new TelegramBotClientOptions(options.BotToken, baseUrl) { RetryCount = 0 }, http);
    }
}
