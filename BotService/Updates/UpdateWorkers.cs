using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Mesh.Bot.Telegram;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Telegram.Bot;
using Telegram.Bot.Types;

namespace Mesh.Bot.Updates;

/// <summary>
/// The workers of this replica: up to <see cref="BotOptions.Workers"/> chats in hand at once, each taken in order one
/// entry at a time: the handler pipeline runs (or a notification is delivered) and the entry is acknowledged before the
/// chat's next one starts. One loop talks to Redis for all of them: each round acknowledges every entry handled since
/// the last and leases as many ready chats as there are free places, in one script call (<see cref="ChatQueue.SettleAsync"/>),
/// so the queue costs a round trip per round, not per update. A failing entry is given back with a back-off and, after
/// <see cref="BotOptions.MaxAttempts"/> tries, dead-lettered with its error so the chat moves on. When nothing is ready
/// the loop sleeps until the intake announces work (Redis pub/sub), a chat is due, or the idle poll. Leases of chats
/// held longer than an eighth of a lease are renewed by one sweep for all of them (one round trip), every quarter of
/// a lease: a quick handler (the usual case) costs no timer of its own.
/// </summary>
public sealed partial class UpdateWorkers(
    ChatQueue queue,
    IConnectionMultiplexer redis,
    IServiceScopeFactory scopes,
    UpdatePipeline pipeline,
    OutboundSender sender,
    NotificationDelivery notifications,
    IOptions<BotOptions> options,
    ILogger<UpdateWorkers> logger) : BackgroundService
{
    /// <summary>The most acknowledgements one round carries.</summary>
    const int MaxAcksPerRound = 128;

    /// <summary>The most chats one round leases (Lua's unpack has a limit; a round this big is plenty).</summary>
    const int MaxClaimsPerRound = 512;

    /// <summary>Rounds in a row that fail before their acknowledgements are given up (the leases expire and the entries are taken again).</summary>
    const int MaxFailedRounds = 3;

    /// <summary>
    /// What a chat's task hands the loop: an acknowledgement to settle, or (no Ack) its place is free, the chat given back
    /// to be retried after <see cref="RetryIn"/>. <see cref="Place"/> is where the chat is kept in hand.
    /// </summary>
    readonly record struct Finished(int Place, Ack? Ack, TimeSpan? RetryIn = null);

    readonly BotOptions settings = options.Value;
    readonly string holder = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    // Handled entries waiting for the next round, and chats given back.
    readonly ConcurrentQueue<Finished> done = new();
    readonly SemaphoreSlim signal = new(0, 1);

    // The chats in hand, one place each. The loop alone hands places out and takes them back (freePlaces, inHand,
    // handedAt: when the place's chat was taken or its next entry started, Stopwatch ticks); the renew sweep reads those
    // and alone writes renewedAt (when it last renewed the lease in the place) and lost (a lease it found lost there).
    readonly ChatLease?[] inHand = new ChatLease?[options.Value.Workers];
    readonly long[] handedAt = new long[options.Value.Workers];
    readonly long[] renewedAt = new long[options.Value.Workers];
    readonly ChatLease?[] lost = new ChatLease?[options.Value.Workers];
    readonly Stack<int> freePlaces = new(Enumerable.Range(0, options.Value.Workers).Reverse());
    int sweeping;
    ITimer? renewTimer;
    ITimer wakeTimer = null!;
    int wakeArmed;
    int announcements; // bumped when new work was announced; the loop claims when it moved since its last claim

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        wakeTimer = TimeProvider.System.CreateTimer(_ => { Volatile.Write(ref wakeArmed, 0); WorkAnnounced(); }, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        var renewEvery = settings.LeaseDuration / 4;
        renewTimer = TimeProvider.System.CreateTimer(_ => RenewSweep(renewEvery), null, renewEvery, renewEvery);
        await SubscribeAsync(stoppingToken);
        await Task.Yield();
        var acks = new List<Ack>();
        var ackPlaces = new List<int>();
        long dueAt = 0; // when the next chat becomes ready (Stopwatch ticks): at once, to start
        var seen = announcements;
        var more = false; // the last claim got all it asked for: more chats may be ready
        var failedRounds = 0;
        while (!stoppingToken.IsCancellationRequested || freePlaces.Count < settings.Workers) // stopping: until every chat is given back
        {
            while (acks.Count < MaxAcksPerRound && done.TryDequeue(out var finished))
            {
                if (finished.Ack is { } ack)
                {
                    acks.Add(ack);
                    ackPlaces.Add(finished.Place);
                }
                else
                {
                    Free(finished.Place);
                    if (finished.RetryIn is { } retryIn)
                    {
                        dueAt = Math.Min(dueAt, Stopwatch.GetTimestamp() + Ticks(retryIn));
                    }
                }
            }
            var free = stoppingToken.IsCancellationRequested || failedRounds > 0 ? 0 : Math.Min(freePlaces.Count, MaxClaimsPerRound);
            var claim = free > 0 && (more || Volatile.Read(ref announcements) != seen || Stopwatch.GetTimestamp() >= dueAt) ? free : 0;
            if (acks.Count == 0 && claim == 0)
            {
                if (stoppingToken.IsCancellationRequested)
                {
                    // Stopping: the handlers were cancelled and give their chats back; wait for them.
                    await signal.WaitAsync(TimeSpan.FromMilliseconds(100), CancellationToken.None);
                    continue;
                }
                // Every place taken: a handled entry signals. Else sleep until the next chat is due, new work is
                // announced, or the idle poll.
                var untilDue = free == 0 || dueAt == long.MaxValue ? settings.IdlePollInterval : Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), dueAt);
                if (!await WaitAsync(untilDue < settings.IdlePollInterval ? untilDue : settings.IdlePollInterval, stoppingToken))
                {
                    dueAt = 0; // a due chat or the idle poll: look again (a lease may have expired)
                }
                continue;
            }
            if (claim > 0)
            {
                seen = Volatile.Read(ref announcements);
            }
            Settlement settled;
            try
            {
                settled = await queue.SettleAsync(acks, claim, holder);
            }
            catch (Exception e)
            {
                // Redis unavailable (or the round's answer lost: chats it leased come back when their leases end). The
                // acknowledgements are tried again, without claiming, and given up after a few rounds or at once when
                // stopping: their entries are then handled again once the leases expire.
                LogSettleFailed(logger, e, acks.Count);
                dueAt = 0;
                if (acks.Count == 0 || ++failedRounds >= MaxFailedRounds || stoppingToken.IsCancellationRequested)
                {
                    ackPlaces.ForEach(Free);
                    acks.Clear();
                    ackPlaces.Clear();
                    failedRounds = 0;
                }
                if (!stoppingToken.IsCancellationRequested)
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None);
                }
                continue;
            }
            failedRounds = 0;
            if (settled.WriteError is { } writeError)
            {
                LogWritesFailed(logger, writeError);
            }
            for (var i = 0; i < acks.Count; i++)
            {
                switch (settled.Acked[i])
                {
                    case LeaseState.Next next:
                        Start(next.Lease, ackPlaces[i], stoppingToken);
                        break;
                    case LeaseState.Lost:
                        LogLeaseLost(logger, acks[i].Lease.ChatId);
                        Free(ackPlaces[i]);
                        break;
                    default:
                        Free(ackPlaces[i]);
                        break;
                }
            }
            acks.Clear();
            ackPlaces.Clear();
            foreach (var lease in settled.Claimed)
            {
                Start(lease, freePlaces.Pop(), stoppingToken);
            }
            var nextDue = settled.NextDue is { } due ? Stopwatch.GetTimestamp() + Ticks(due) : long.MaxValue;
            if (claim > 0)
            {
                // All asked for were there: more may be. Fewer: nothing more is ready until the next due chat.
                more = settled.Claimed.Length == claim;
                dueAt = nextDue;
            }
            else
            {
                dueAt = Math.Min(dueAt, nextDue); // a chat given back with its next entry still in its reorder window
            }
        }
    }

    static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

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
    /// Chats got new work. They can be claimed only once the reorder window has passed, so rather than look now (and
    /// find nothing ready) the announcements are gathered and acted on together when the window of the first one ends:
    /// one timer per window, however many batches arrive in it.
    /// </summary>
    void Announced()
    {
        if (settings.ReorderWindow <= TimeSpan.Zero)
        {
            WorkAnnounced();
        }
        else if (Interlocked.Exchange(ref wakeArmed, 1) == 0)
        {
            try
            {
                wakeTimer.Change(settings.ReorderWindow + TimeSpan.FromMilliseconds(2), Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
                // Shutting down.
            }
        }
    }

    void WorkAnnounced()
    {
        Interlocked.Increment(ref announcements);
        Signal();
    }

    void Signal()
    {
        try
        {
            if (signal.CurrentCount == 0)
            {
                signal.Release();
            }
        }
        catch (Exception e) when (e is SemaphoreFullException or ObjectDisposedException)
        {
            // Already signalled (a race between two callers), or shutting down.
        }
    }

    /// <summary>Waits for a signal (an entry handled, work announced); false when <paramref name="timeout"/> passed first.</summary>
    async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken stoppingToken)
    {
        try
        {
            return await signal.WaitAsync(timeout > TimeSpan.Zero ? timeout : TimeSpan.Zero, stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    /// <summary>Puts <paramref name="lease"/> in <paramref name="place"/> and handles its head entry (the loop's thread only).</summary>
    void Start(ChatLease lease, int place, CancellationToken stoppingToken)
    {
        handedAt[place] = Stopwatch.GetTimestamp();
        Volatile.Write(ref inHand[place], lease);
        _ = RunAsync(lease, place, stoppingToken);
    }

    /// <summary>The chat in <paramref name="place"/> is no longer in hand (the loop's thread only).</summary>
    void Free(int place)
    {
        Volatile.Write(ref inHand[place], null);
        freePlaces.Push(place);
    }

    /// <summary>
    /// Renews, in one round trip, the lease of every chat in hand for more than half a sweep's period since it was taken
    /// or last renewed. Runs every quarter of a lease, so a lease is renewed at the latest 3/8 of a lease after it was
    /// taken or renewed (plus however late the timer fires), well before it ends. A lease found lost is left to the
    /// acknowledgement, which says so (the handler finishes), and not tried again.
    /// </summary>
    void RenewSweep(TimeSpan period)
    {
        if (Interlocked.Exchange(ref sweeping, 1) == 1)
        {
            return; // the last sweep is still waiting on Redis
        }
        _ = SweepAsync();

        async Task SweepAsync()
        {
            var due = new List<(int Place, ChatLease Lease)>();
            try
            {
                // Read before the leases: a renewal recorded for a chat that has just left its place is older than the
                // next chat's handedAt, so it never hides that chat from a sweep.
                var now = Stopwatch.GetTimestamp();
                for (var place = 0; place < inHand.Length; place++)
                {
                    if (Volatile.Read(ref inHand[place]) is { } lease && !ReferenceEquals(lease, lost[place])
                        && Stopwatch.GetElapsedTime(Math.Max(Volatile.Read(ref handedAt[place]), renewedAt[place]), now) >= period / 2)
                    {
                        due.Add((place, lease));
                    }
                }
                if (due.Count == 0)
                {
                    return;
                }
                var renewed = await queue.RenewAsync([.. due.Select(d => d.Lease)]);
                for (var i = 0; i < due.Count; i++)
                {
                    if (renewed[i])
                    {
                        renewedAt[due[i].Place] = now;
                    }
                    else
                    {
                        lost[due[i].Place] = due[i].Lease;
                    }
                }
            }
            catch (Exception e)
            {
                LogRenewFailed(logger, e, due.Count);
            }
            finally
            {
                Volatile.Write(ref sweeping, 0);
            }
        }
    }

    /// <summary>Handles a chat's head entry and hands the outcome to the loop: an acknowledgement, or the place freed.</summary>
    async Task RunAsync(ChatLease lease, int place, CancellationToken stoppingToken)
    {
        Ack? outcome = null;
        TimeSpan? retryIn = null;
        try
        {
            // Runs on the loop's thread up to the handler's first await: no hop through the thread pool per update
            // (measured: 13 % of the ceiling without the hop, 10–11 % with it at 40 senders; 15 % and 13–14 % at 100).
            // In a private chat the user's state came with the lease, so that is parsing the update, routing, drawing
            // the reply and writing its request; the loop settles again once every chat of the round is under way, so
            // a handler must never block (every Redis, HTTP and gRPC call of Mesh is awaited).
            if (!QueuedEntry.TryParse(lease.Head.Entry, out var entry))
            {
                // No try would read it better: to the dead-letter list at once, and the chat goes on.
                LogUnreadable(logger, lease.ChatId);
                BotTelemetry.UpdatesHandled.Add(1, new KeyValuePair<string, object?>("outcome", "dead_lettered"));
                outcome = new Ack(lease, $"unreadable entry: its header is not {QueuedEntry.HeaderFormat}");
            }
            else if (stoppingToken.IsCancellationRequested)
            {
                await queue.ReleaseAsync(lease, TimeSpan.Zero, "the worker stopped before handling it");
            }
            else if (lease.Tries > settings.MaxAttempts)
            {
                var error = await queue.LastErrorAsync(lease.ChatId) ?? "the worker stopped while handling it";
                LogDeadLettered(logger, entry.Id, lease.ChatId, lease.Tries - 1);
                BotTelemetry.UpdatesHandled.Add(1, new KeyValuePair<string, object?>("outcome", "dead_lettered"));
                if (entry.Kind == EntryKind.Notification)
                {
                    await notifications.MarkFailedAsync(entry.Id);
                }
                outcome = new Ack(lease, $"{entry.Kind} {entry.Id} after {lease.Tries - 1} tries: {error}");
            }
            else
            {
                try
                {
                    outcome = new Ack(lease, Writes: await HandleAsync(lease, entry, stoppingToken));
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    var delay = settings.RetryDelay * Math.Pow(2, Math.Min(lease.Tries - 1, 10));
                    LogHandlerFailed(logger, e, entry.Id, lease.ChatId, lease.Tries);
                    BotTelemetry.UpdatesHandled.Add(1, new KeyValuePair<string, object?>("outcome", "failed"));
                    await queue.ReleaseAsync(lease, delay, $"{e.GetType().Name}: {e.Message}".ReplaceLineEndings(" "));
                    retryIn = delay;
                }
                catch (Exception) when (stoppingToken.IsCancellationRequested)
                {
                    // Stopping mid-handling: give the chat back at once so another replica goes on with it.
                    await queue.ReleaseAsync(lease, TimeSpan.Zero, "the worker stopped while handling it");
                }
            }
        }
        catch (Exception e)
        {
            // Redis unavailable while giving the chat back: the lease expires and the chat is taken again (and
            // dead-lettered after MaxAttempts).
            LogChatDropped(logger, e, lease.ChatId);
            outcome = null;
        }
        finally
        {
            done.Enqueue(new Finished(place, outcome, retryIn));
            Signal();
        }
    }

    async Task<IReadOnlyList<HashWrite>?> HandleAsync(ChatLease lease, QueuedEntry entry, CancellationToken stoppingToken)
    {
        var chatId = long.Parse(lease.ChatId, System.Globalization.CultureInfo.InvariantCulture);
        IReadOnlyList<HashWrite>? writes = null;
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
            var ctx = new BotContext(update, chatId, sender, scope.ServiceProvider, stoppingToken)
            {
                Snapshot = lease.Snapshot,
            };
            await pipeline.RunAsync(ctx);
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
        renewTimer?.Dispose();
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

    [LoggerMessage(7, LogLevel.Warning, "Settling {Acks} handled entries with Redis failed; tried again, then left to their leases' expiry")]
    static partial void LogSettleFailed(ILogger logger, Exception exception, int acks);

    [LoggerMessage(8, LogLevel.Warning, "A handler's write that went with its acknowledgement failed ({Error}); the update stays handled")]
    static partial void LogWritesFailed(ILogger logger, string error);

    [LoggerMessage(6, LogLevel.Warning, "Could not finish or give back chat {ChatId}; it is taken again when its lease expires")]
    static partial void LogChatDropped(ILogger logger, Exception exception, string chatId);

    [LoggerMessage(9, LogLevel.Warning, "Renewing the leases of {Chats} chats in hand failed; tried again at the next sweep")]
    static partial void LogRenewFailed(ILogger logger, Exception exception, int chats);

    [LoggerMessage(10, LogLevel.Error, "Dead-lettered the head entry of chat {ChatId} at once: it cannot be read")]
    static partial void LogUnreadable(ILogger logger, string chatId);
}
