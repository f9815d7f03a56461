using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Telegram.Bot.Exceptions;

namespace Mesh.Bot.Telegram;

/// <summary>
/// Webhook mode (<c>Telegram:PublicUrl</c> set): reconciles the webhook once at start, retrying with back-off while
/// Telegram or Redis cannot be reached, then ends. Nothing runs afterwards: updates arrive through the gateway.
/// </summary>
public sealed partial class WebhookStartup(
    WebhookReconciler webhook,
    IOptions<TelegramOptions> options,
    TimeProvider clock,
    ILogger<WebhookStartup> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.IsWebhookMode)
        {
            return;
        }
        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await webhook.ReconcileAsync(force: false, stoppingToken);
                return;
            }
            catch (Exception e) when (e is ApiRequestException or RequestException or HttpRequestException or TaskCanceledException
                or RedisException or TimeoutException && !stoppingToken.IsCancellationRequested)
            {
                // Telegram's own words for a refusal ("bad webhook: …"): they carry no secret. Other errors by type only:
                // their messages may carry the URL, and the URL the token.
                LogFailed(logger, e is ApiRequestException api ? $"{api.ErrorCode} {api.Message}" : e.GetType().Name, delay.TotalSeconds);
            }
            try
            {
                await Task.Delay(delay, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            delay = TimeSpan.FromSeconds(Math.Min(60, delay.TotalSeconds * 2));
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "Could not reconcile the webhook ({Error}); trying again in {DelaySeconds} s")]
    static partial void LogFailed(ILogger logger, string error, double delaySeconds);
}
