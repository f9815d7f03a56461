using System.Diagnostics;
using System.Text.Json;
using Mesh.Bot.Telegram;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Telegram.Bot;
using Telegram.Bot.Types;

namespace Mesh.Bot.Updates;

/// <summary>
/// The workers of this replica: each leases one chat at a time, takes its entries in order, runs the handler
/// pipeline (or delivers a notification) and acknowledges each entry. A failing entry is given back with a back-off
/// and, after <see cref="BotOptions.MaxAttempts"/> tries, dead-lettered with its error so the chat moves on.
/// Idle workers sleep until the intake announces work (Redis pub/sub) or a lease is due to expire.
/// </summary>
public sealed partial class UpdateWorkers(
    ChatQueue queue,
    IConnectionMultiplexer redis,
    IServiceScopeFactory scopes,
    NotificationDelivery notifications,
    IOptions<BotOptions> options,
    ILogger<UpdateWorkers> logger) : BackgroundService
{
    readonly BotOptions settings = options.Value;
    readonly SemaphoreSlim wake = new(0);
    ITimer wakeTimer = null!;
    int announced;
    int wakeArmed;
    readonly string replica = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        wakeTimer = TimeProvider.System.CreateTimer(_ => WakeAnnounced(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        await SubscribeAsync(stoppingToken);
        var workers = Enumerable.Range(0, Math.Max(1, settings.Workers)).Select(i => Task.Run(() => RunWorkerAsync($"{replica}:{i}", stoppingToken), stoppingToken));
        await Task.WhenAll(workers);
    }

    async Task SubscribeAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await redis.GetSubscriber().SubscribeAsync(queue.WakeChannel, (_, _) => Announced());
                return;
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                LogRedisUnavailable(logger, e.GetType().Name);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    /// <summary>
    /// A chat got new work. It can be claimed only once its reorder window has passed, so rather than wake a worker now
    /// (whose claim would find nothing ready) the announcements are gathered and released together when the window of
    /// the first one ends: one timer per window, however many updates arrive in it.
    /// </summary>
    void Announced()
    {
        if (settings.ReorderWindow <= TimeSpan.Zero)
        {
            Wake(1);
            return;
        }
        Interlocked.Increment(ref announced);
        if (Interlocked.Exchange(ref wakeArmed, 1) == 0)
        {
            wakeTimer.Change(settings.ReorderWindow + TimeSpan.FromMilliseconds(2), Timeout.InfiniteTimeSpan);
        }
    }

    void WakeAnnounced()
    {
        Volatile.Write(ref wakeArmed, 0);
        try
        {
            Wake(Interlocked.Exchange(ref announced, 0));
        }
        catch (ObjectDisposedException)
        {
            // Shutting down.
        }
    }

    void Wake(int count)
    {
        var free = settings.Workers - wake.CurrentCount;
        if (Math.Min(count, free) is > 0 and var n)
        {
            wake.Release(n);
        }
    }

    async Task RunWorkerAsync(string token, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                switch (await queue.ClaimAsync(token))
                {
                    case Claim.Leased leased:
                        await ProcessChatAsync(leased, token, stoppingToken);
                        break;
                    case Claim.Idle idle:
                        var wait = idle.NextDue is { } due
                            ? (due < settings.IdlePollInterval ? due : settings.IdlePollInterval)
                            : settings.IdlePollInterval * 6;
                        await wake.WaitAsync(wait + TimeSpan.FromMilliseconds(Random.Shared.Next(1, 20)), stoppingToken);
                        break;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                LogRedisUnavailable(logger, e.GetType().Name);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    async Task ProcessChatAsync(Claim.Leased claim, string token, CancellationToken stoppingToken)
    {
        var chatId = claim.ChatId;
        LeaseState state = new LeaseState.Next(claim.Head, claim.Tries);
        while (!stoppingToken.IsCancellationRequested)
        {
            if (state is LeaseState.Moved moved)
            {
                // The ack released the drained chat and claimed another in the same round trip.
                chatId = moved.Claim.ChatId;
                state = new LeaseState.Next(moved.Claim.Head, moved.Claim.Tries);
            }
            if (state is not LeaseState.Next next)
            {
                break;
            }
            var entry = QueuedEntry.Parse(next.Head.Entry);
            if (next.Tries > settings.MaxAttempts)
            {
                var error = await queue.LastErrorAsync(chatId) ?? "the worker stopped while handling it";
                LogDeadLettered(logger, entry.Id, chatId, next.Tries - 1);
                BotTelemetry.UpdatesHandled.Add(1, new KeyValuePair<string, object?>("outcome", "dead_lettered"));
                state = await queue.AckAsync(chatId, token, next.Head, $"{entry.Kind} {entry.Id} chat {chatId} after {next.Tries - 1} tries: {error}", claimNext: true);
                continue;
            }
            IReadOnlyList<Func<IDatabaseAsync, Task>>? writes;
            try
            {
                writes = await HandleWithLeaseAsync(chatId, token, entry, stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                var delay = settings.RetryDelay * Math.Pow(2, Math.Min(next.Tries - 1, 10));
                LogHandlerFailed(logger, e, entry.Id, chatId, next.Tries);
                BotTelemetry.UpdatesHandled.Add(1, new KeyValuePair<string, object?>("outcome", "failed"));
                await queue.ReleaseAsync(chatId, token, delay, $"{e.GetType().Name}: {e.Message}".ReplaceLineEndings(" "));
                return;
            }
            state = await queue.AckAsync(chatId, token, next.Head, claimNext: true, writes: writes);
        }
        if (state is LeaseState.Lost)
        {
            LogLeaseLost(logger, chatId);
        }
    }

    /// <summary>
    /// Runs the handler and, only while it takes longer than a third of the lease, renews the lease. A quick handler
    /// (the usual case) costs one timer: no linked token source, no cancelled delay thrown and caught per update.
    /// </summary>
    /// <returns>The handler's writes that go with the acknowledgement (<see cref="BotContext.WriteWithAck"/>).</returns>
    async Task<IReadOnlyList<Func<IDatabaseAsync, Task>>?> HandleWithLeaseAsync(string chatId, string token, QueuedEntry entry, CancellationToken stoppingToken)
    {
        var handling = HandleAsync(long.Parse(chatId, System.Globalization.CultureInfo.InvariantCulture), entry, stoppingToken);
        var renewEvery = settings.LeaseDuration / 3;
        while (!handling.IsCompleted)
        {
            await ((Task)handling).WaitAsync(renewEvery).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (handling.IsCompleted)
            {
                break;
            }
            try
            {
                if (!await queue.RenewAsync(chatId, token))
                {
                    break; // lost: the ack will say so; the handler finishes either way
                }
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
            }
        }
        return await handling;
    }

    async Task<IReadOnlyList<Func<IDatabaseAsync, Task>>?> HandleAsync(long chatId, QueuedEntry entry, CancellationToken stoppingToken)
    {
        IReadOnlyList<Func<IDatabaseAsync, Task>>? writes = null;
        ActivityContext.TryParse(entry.TraceParent, null, out var parent);
        using var activity = BotTelemetry.Source.StartActivity(entry.Kind == EntryKind.Update ? "HandleUpdate" : "DeliverNotification", ActivityKind.Consumer, parent);
        activity?.SetTag("telegram.chat_id", chatId);
        activity?.SetTag(entry.Kind == EntryKind.Update ? "telegram.update_id" : "mesh.notification_id", entry.Id);
        var started = Stopwatch.GetTimestamp();
        if (entry.Kind == EntryKind.Notification)
        {
            await notifications.DeliverAsync(chatId, entry, stoppingToken);
        }
        else
        {
            var update = JsonSerializer.Deserialize<Update>(entry.Payload.Span, JsonBotAPI.Options)
                ?? throw new JsonException("The queued update is null.");
            await using var scope = scopes.CreateAsyncScope();
            var ctx = new BotContext(update, chatId, scope.ServiceProvider.GetRequiredService<OutboundSender>(), scope.ServiceProvider, stoppingToken);
            await scope.ServiceProvider.GetRequiredService<UpdatePipeline>().RunAsync(ctx);
            writes = ctx.WritesWithAck;
            LogHandled(logger, update.Id, chatId);
        }
        BotTelemetry.HandlerDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        BotTelemetry.UpdatesHandled.Add(1, new KeyValuePair<string, object?>("outcome", "handled"));
        return writes;
    }

    public override void Dispose()
    {
        wakeTimer?.Dispose();
        wake.Dispose();
        base.Dispose();
    }

    [LoggerMessage(1, LogLevel.Debug, "Handled update {UpdateId} of chat {ChatId}")]
    static partial void LogHandled(ILogger logger, long updateId, long chatId);

    [LoggerMessage(2, LogLevel.Warning, "Handling {EntryId} of chat {ChatId} failed (try {Attempt}); it will be tried again")]
    static partial void LogHandlerFailed(ILogger logger, Exception exception, string entryId, string chatId, long attempt);

    [LoggerMessage(3, LogLevel.Error, "Dead-lettered {EntryId} of chat {ChatId} after {Attempts} tries")]
    static partial void LogDeadLettered(ILogger logger, string entryId, string chatId, long attempts);

    [LoggerMessage(4, LogLevel.Warning, "Lost the lease on chat {ChatId}; another worker has it")]
    static partial void LogLeaseLost(ILogger logger, string chatId);

    [LoggerMessage(5, LogLevel.Warning, "Redis unavailable ({Error}); workers retry")]
    static partial void LogRedisUnavailable(ILogger logger, string error);
}
