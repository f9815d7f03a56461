using Mesh.Bot.Updates;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Telegram.Bot.Exceptions;

namespace Mesh.Bot.Telegram;

/// <summary>
/// Polling mode (<c>Telegram:PublicUrl</c> empty). Every replica runs this; the one holding the <see cref="PollingLease"/>
/// deletes any webhook, then long-polls getUpdates and feeds each update to the same <see cref="UpdateIntake"/> as the
/// webhook (de-dup, per-chat queues), confirming with the offset only what was durably queued. The others wait for the
/// lease to expire. The leader renews its lease every third of its duration, stops polling the moment it is lost, and
/// releases it on shutdown so another replica takes over at once. A 409 Conflict (another poller, or a webhook set
/// elsewhere) makes it back off.
/// </summary>
public sealed partial class PollingLeader(
    PollingLease lease,
    WebhookReconciler webhook,
    GetUpdatesClient telegram,
    UpdateIntake intake,
    IOptions<TelegramOptions> options,
    TimeProvider clock,
    ILogger<PollingLeader> logger) : BackgroundService
{
    static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    readonly TelegramOptions settings = options.Value;
    volatile bool leading;

    /// <summary>Whether this replica is polling now.</summary>
    public bool IsLeader => leading;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (settings.IsWebhookMode)
        {
            return;
        }
        LogFollowing(logger, lease.Holder);
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                // The lease runs from when Redis took it, no later than this: counted from the answer, a slow one
                // would eat the margin the renewals keep.
                var asked = clock.GetUtcNow();
                var (taken, retryAfter) = await lease.TryAcquireAsync();
                if (taken)
                {
                    await LeadAsync(asked, stoppingToken);
                    continue;
                }
                // Look again when the holder's lease may have run out, and at least three times per lease.
                wait = TimeSpan.FromTicks(Math.Min(retryAfter.Ticks, lease.Duration.Ticks / 3)) + TimeSpan.FromMilliseconds(Random.Shared.Next(10, 100));
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                LogRedisUnavailable(logger, e.GetType().Name);
                wait = TimeSpan.FromSeconds(1);
            }
            try
            {
                await Task.Delay(wait, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    async Task LeadAsync(DateTimeOffset taken, CancellationToken stoppingToken)
    {
        using var leadership = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var renewing = RenewAsync(taken, leadership);
        leading = true;
        LogLeading(logger, lease.Holder);
        try
        {
            await PollAsync(leadership.Token);
        }
        catch (OperationCanceledException) when (leadership.IsCancellationRequested)
        {
        }
        finally
        {
            leading = false;
            await leadership.CancelAsync();
            await renewing;
            try
            {
                await lease.ReleaseAsync();
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                LogRedisUnavailable(logger, e.GetType().Name);
            }
            LogStopped(logger, lease.Holder);
        }
    }

    /// <summary>Renews the lease until leadership ends; cancels it when the lease is lost or cannot be renewed in time.</summary>
    async Task RenewAsync(DateTimeOffset renewed, CancellationTokenSource leadership)
    {
        while (!leadership.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(lease.Duration / 3, clock, leadership.Token);
                // Given up (TimeoutException) once two thirds of the lease have gone since the last renewal: a renewal
                // that hangs in the Redis client (5 s by default, longer than a short lease) must not outlive the lease.
                var asked = clock.GetUtcNow();
                var left = renewed + lease.Duration * 2 / 3 - asked;
                if (!await lease.RenewAsync().WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, clock, leadership.Token))
                {
                    LogLost(logger, lease.Holder);
                    await leadership.CancelAsync();
                    return;
                }
                renewed = asked;
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                LogRedisUnavailable(logger, e.GetType().Name);
                if (clock.GetUtcNow() - renewed >= lease.Duration * 2 / 3)
                {
                    // Another replica may hold it soon: stop before two replicas could poll.
                    LogLost(logger, lease.Holder);
                    await leadership.CancelAsync();
                    return;
                }
            }
        }
    }

    async Task PollAsync(CancellationToken cancellationToken)
    {
        var failures = 0;
        // Telegram refuses getUpdates while a webhook is set: delete it first (pending updates are kept).
        while (true)
        {
            try
            {
                await webhook.DeleteAsync(cancellationToken);
                break;
            }
            catch (Exception e) when (IsTransient(e) && !cancellationToken.IsCancellationRequested)
            {
                LogPollFailed(logger, Describe(e));
                await Task.Delay(Backoff(++failures), clock, cancellationToken);
            }
        }

        failures = 0;
        long? offset = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var updates = await telegram.GetUpdatesAsync(offset, settings.PollingTimeout, cancellationToken);
                foreach (var update in updates)
                {
                    // Queued durably (or a duplicate) before the next getUpdates confirms it with the offset.
                    await intake.AcceptAsync(update.UpdateId, update.ChatId, update.Json);
                    offset = update.UpdateId + 1;
                }
                if (updates.Count > 0)
                {
                    LogPolled(logger, updates.Count);
                }
                failures = 0;
            }
            catch (BotApiErrorException e) when (e.ErrorCode == 409 && !cancellationToken.IsCancellationRequested)
            {
                LogConflict(logger, e.Description);
                await Task.Delay(Backoff(++failures), clock, cancellationToken);
                if (e.Description.Contains("webhook", StringComparison.OrdinalIgnoreCase))
                {
                    // A webhook set since this replica took the lease (a replica still in webhook mode during a switch
                    // to polling, whose checks put it back): deleted again, or polling would stay refused for good.
                    try
                    {
                        await webhook.DeleteAsync(cancellationToken);
                    }
                    catch (Exception d) when (IsTransient(d) && !cancellationToken.IsCancellationRequested)
                    {
                        LogPollFailed(logger, Describe(d));
                    }
                }
            }
            catch (BotApiErrorException e) when (e.ErrorCode == 429 && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(RetryAfter.Wait(e.RetryAfter), clock, cancellationToken);
            }
            catch (Exception e) when (IsTransient(e) && !cancellationToken.IsCancellationRequested)
            {
                LogPollFailed(logger, Describe(e));
                await Task.Delay(Backoff(++failures), clock, cancellationToken);
            }
        }
    }

    static TimeSpan Backoff(int failures) =>
        TimeSpan.FromMilliseconds(Math.Min(MaxBackoff.TotalMilliseconds, 500 * Math.Pow(2, Math.Min(failures, 10) - 1)));

    static bool IsTransient(Exception e) =>
        e is BotApiErrorException or ApiRequestException or RequestException or HttpRequestException or TaskCanceledException or RedisException or TimeoutException;

    // Exception messages of network failures may carry the request URL, which holds the token: log codes and types only.
    static string Describe(Exception e) => e switch
    {
        BotApiErrorException api => api.ErrorCode.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ApiRequestException api => api.ErrorCode.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => e.GetType().Name,
    };

    [LoggerMessage(1, LogLevel.Information, "Polling mode: replica {Replica} waits for the polling lease")]
    static partial void LogFollowing(ILogger logger, string replica);

    [LoggerMessage(2, LogLevel.Information, "Replica {Replica} holds the polling lease: deleting any webhook, then polling getUpdates")]
    static partial void LogLeading(ILogger logger, string replica);

    [LoggerMessage(3, LogLevel.Warning, "Replica {Replica} lost the polling lease; stopped polling")]
    static partial void LogLost(ILogger logger, string replica);

    [LoggerMessage(4, LogLevel.Information, "Replica {Replica} stopped polling and released the lease")]
    static partial void LogStopped(ILogger logger, string replica);

    [LoggerMessage(5, LogLevel.Warning, "getUpdates conflict (409: {Description}); backing off")]
    static partial void LogConflict(ILogger logger, string description);

    [LoggerMessage(6, LogLevel.Warning, "Polling failed ({Error}); backing off")]
    static partial void LogPollFailed(ILogger logger, string error);

    [LoggerMessage(7, LogLevel.Warning, "Redis unavailable for the polling lease ({Error})")]
    static partial void LogRedisUnavailable(ILogger logger, string error);

    [LoggerMessage(8, LogLevel.Debug, "Polled {Count} updates")]
    static partial void LogPolled(ILogger logger, int count);
}
