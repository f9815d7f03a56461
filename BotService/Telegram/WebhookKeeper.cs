using Microsoft.Extensions.Options;
using OpenTelemetry;
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
/// next start sets it. What a check finds wrong it logs as a warning: a webhook that differs from this configuration,
/// once per change (say, set from the command line with another secret, which the gateway then refuses), and each new delivery error
/// Telegram reports (its last_error_message: "Wrong response from the webhook: 401 Unauthorized").
/// </summary>
public sealed partial class WebhookKeeper(
    WebhookReconciler webhook,
    IOptions<TelegramOptions> options,
    TimeProvider clock,
    ILogger<WebhookKeeper> logger) : BackgroundService
{
    /// <summary>The differences from the configuration last logged ('' none).</summary>
    string differencesLogged = "";

    /// <summary>Delivery errors up to this time are not logged: each once, and none from before this start.</summary>
    DateTimeOffset errorsLoggedUntil;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        errorsLoggedUntil = clock.GetUtcNow().AddSeconds(-1); // Telegram's error times are whole seconds
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
                    // The check every few minutes is background chatter, not a trace of its own on the dashboard each
                    // time (what it finds wrong, or puts back, it logs); the reconciliation at start stays traced.
                    using var untraced = SuppressInstrumentationScope.Begin();
                    if (await webhook.RestoreIfDeletedAsync(stoppingToken) is { } found)
                    {
                        Report(found);
                    }
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

    void Report(WebhookView found)
    {
        // Once per change: a difference that stays (say, the secret's hash lost with Redis's data) is not repeated each check.
        var differences = string.Join(", ", found.Differences);
        if (differences != differencesLogged && differences.Length > 0)
        {
            LogDiffers(logger, differences);
        }
        differencesLogged = differences;
        if (found.LastErrorDate is { } at && at > errorsLoggedUntil)
        {
            errorsLoggedUntil = at;
            LogDeliveryFailing(logger, found.LastErrorMessage ?? "", at, found.PendingUpdateCount);
        }
    }

    [LoggerMessage(2, LogLevel.Warning, "Telegram's webhook differs from this configuration ({Differences}) and is left as it is (another "
        + "configuration may be rolling out); the bot's Set webhook command sets this one")]
    static partial void LogDiffers(ILogger logger, string differences);

    [LoggerMessage(3, LogLevel.Warning, "Telegram reports the webhook failing: {Error} (at {At:u}); {Pending} updates wait to be delivered")]
    static partial void LogDeliveryFailing(ILogger logger, string error, DateTimeOffset at, int pending);

    [LoggerMessage(1, LogLevel.Warning, "Could not reconcile the webhook ({Error}); trying again in {DelaySeconds} s")]
    static partial void LogFailed(ILogger logger, string error, double delaySeconds);
}
