using Microsoft.Extensions.Options;
using Telegram.Bot;

namespace Mesh.Bot.Telegram;

/// <summary>Builds the Bot API client on <c>Telegram:ApiBaseUrl</c>, with Telegram.Bot's own retry turned off.</summary>
public static class TelegramClientFactory
{
    public const string HttpClientName = "telegram";

    public static ITelegramBotClient Create(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<TelegramOptions>>().Value;
        var http = services.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName);
        var baseUrl = string.IsNullOrWhiteSpace(options.ApiBaseUrl) ? null : options.ApiBaseUrl.TrimEnd('/');
        return new TelegramBotClient(new TelegramBotClientOptions(options.BotToken, baseUrl) { RetryCount = 0 }, http);
    }
}
