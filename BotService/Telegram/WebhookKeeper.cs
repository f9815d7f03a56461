using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Telegram.Bot.Exceptions;

namespace Mesh.Bot.Telegram;

/// <summary>
/// Webhook mode (<c>Telegram:PublicUrl</c> set): reconciles the webhook at start, retrying with back-off while Telegram
/// or Redis cannot be reached, then checks it every <see cref="TelegramOptions.WebhookCheckInterval"/> (one
/// getWebhookInfo) and sets it again only when Telegram has none (<see cref="WebhookReconciler.RestoreIfDeletedAsync"/>).
/// The checks put back a webhook that someone else removed: a replica of the
/// previous version still polling during a rolling switch from polling to webhook mode deletes it when it takes the
/// polling lease, after this version's replicas set it, and the bot would hear nothing until the next start. A webhook
/// an operator deleted (<see cref="WebhookReconciler.DeleteAsync"/>) is left deleted until they set it again, or the
/// next start sets it.
/// </summary>
public sealed partial class WebhookKeeper(
    WebhookReconciler webhook,
    IOptions<TelegramOptions> options,
    TimeProvider clock,
    ILogger<WebhookKeeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.IsWebhookMode)
        {
            return;
        }
        await ReconcileAsync(atStart: true, stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.Value.WebhookCheckInterval, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            await ReconcileAsync(atStart: false, stoppingToken);
        }
    }

    /// <summary>Reconciles until it succeeds (or the service stops), retrying with back-off.</summary>
    async Task ReconcileAsync(bool atStart, CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (atStart)
                {
                    await webhook.ReconcileAsync(force: false, stoppingToken);
                }
                else
                {
                    await webhook.RestoreIfDeletedAsync(stoppingToken);
                }
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
