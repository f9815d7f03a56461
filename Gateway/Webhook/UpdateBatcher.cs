using System.Diagnostics;
using System.Threading.Channels;
using Google.Protobuf;
using Grpc.Core;
using Mesh.Bot.Grpc;
using Microsoft.Extensions.Options;

namespace Mesh.Gateway.Webhook;

/// <summary>What became of one update handed to the bot service.</summary>
public enum AcceptOutcome
{
    /// <summary>Durably queued now.</summary>
    Queued,

    /// <summary>Seen before; nothing queued, and nothing more to do.</summary>
    Duplicate,

    /// <summary>The bot refused this update's content (no update_id or no body).</summary>
    Invalid,

    /// <summary>Not acknowledged: the bot service or its store is unavailable (or the gateway is stopping). Telegram re-delivers.</summary>
    Unavailable,
}

/// <summary>
/// Group commit of webhook updates: each webhook request waits here while a few sender loops
/// (<see cref="UpdateBatchOptions.AcceptConcurrency"/>) each take whatever is waiting and send it as ONE
/// <c>TelegramUpdates.AcceptBatch</c> call (one Redis round trip on the bot's side). When idle an update goes out at
/// once, alone: no timer, no added latency; under load the updates that arrive while calls are in flight share the
/// next one, so the per-call cost of gRPC and of the Redis script is paid once per batch rather than once per update.
/// Every request gets its own outcome; a failed call fails only its own items (all Unavailable, so 503 and Telegram
/// re-delivers); a request that goes away never cancels a call its batch-mates are in.
/// </summary>
public sealed partial class UpdateBatcher(
    TelegramUpdates.TelegramUpdatesClient bot,
    IOptions<UpdateBatchOptions> options,
    WebhookTraffic traffic,
    ILogger<UpdateBatcher> logger) : IHostedService
{
    readonly Channel<PendingUpdate> waiting = Channel.CreateUnbounded<PendingUpdate>();
    readonly UpdateBatchOptions settings = options.Value;
    Task[] senders = [];

    /// <summary>Updates waiting for a sender loop (tests use it to know a batch is ready to go).</summary>
    internal int WaitingCount => waiting.Reader.Count;

    /// <summary>
    /// Hands one update to the bot service together with whatever else is waiting. <paramref name="json"/> is sent
    /// without a copy, so it must stay valid until this completes; it does not complete before the update was either
    /// withdrawn unsent (<paramref name="cancellationToken"/>) or its call has finished.
    /// </summary>
    public Task<AcceptOutcome> AcceptAsync(UpdateEnvelope envelope, ReadOnlyMemory<byte> json, CancellationToken cancellationToken)
    {
        var pending = new PendingUpdate(envelope, json, Activity.Current);
        // Watched before it is queued: a request already gone is withdrawn at once, and no sender loop can complete it
        // before its withdrawal is registered (the registration is dropped when it completes).
        pending.WithdrawOn(cancellationToken);
        if (!waiting.Writer.TryWrite(pending))
        {
            pending.Complete(AcceptOutcome.Unavailable); // stopping
        }
        return pending.Task;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Outside any request's execution context: a batch's trace is set explicitly, from its own updates.
        using (ExecutionContext.SuppressFlow())
        {
            senders = [.. Enumerable.Range(0, settings.AcceptConcurrency).Select(_ => Task.Run(SendLoopAsync))];
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// Takes no more updates (a request still arriving gets Unavailable: 503, and Telegram re-delivers); those already
    /// waiting are still sent, so no request is left without an answer.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        waiting.Writer.TryComplete();
        try
        {
            await Task.WhenAll(senders).WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Out of time: the requests still waiting end with the process, unacknowledged; Telegram re-delivers.
        }
    }

    async Task SendLoopAsync()
    {
        var reader = waiting.Reader;
        var batch = new List<PendingUpdate>(settings.AcceptBatchMaxUpdates);
        PendingUpdate? next = null; // read, but over the last batch's byte limit: the first of this loop's next batch
        while (true)
        {
            if (next is null)
            {
                try
                {
                    next = await reader.ReadAsync();
                }
                catch (ChannelClosedException)
                {
                    return;
                }
            }
            next = Gather(next, reader, batch);
            if (batch.Count > 0)
            {
                await SendAsync(batch);
                batch.Clear();
            }
        }
    }

    /// <summary>
    /// <paramref name="first"/> and what is waiting behind it, up to the batch limits (an update larger than the byte
    /// limit still goes, alone). Updates withdrawn by their requests are dropped here; the others are ours from now on.
    /// Returns the update read that would have taken the batch over its byte limit (not taken yet: it can still be
    /// withdrawn), or null. The channel is never peeked: a peek at its queue keeps every update the queue's current
    /// segment ever held reachable and makes it start a new segment, and the gateway's gen0 collections then kept
    /// 1.2–2.4 MB of finished updates each (pauses of 5–12 ms, which every request in flight waited out).
    /// </summary>
    PendingUpdate? Gather(PendingUpdate first, ChannelReader<PendingUpdate> reader, List<PendingUpdate> batch)
    {
        long bytes = 0;
        var next = first;
        while (true)
        {
            if (batch.Count > 0 && bytes + next.Json.Length > settings.AcceptBatchMaxBytes)
            {
                return next;
            }
            if (next.TryTake())
            {
                batch.Add(next);
                bytes += next.Json.Length;
            }
            if (batch.Count >= settings.AcceptBatchMaxUpdates || !reader.TryRead(out next))
            {
                return null;
            }
        }
    }

    /// <summary>
    /// One call for the batch; every update of it completes, whatever happens (a sender loop never dies). What became of
    /// it is counted once for the batch (<see cref="WebhookTraffic"/>), not per update.
    /// </summary>
    async Task SendAsync(List<PendingUpdate> batch)
    {
        traffic.Received();
        try
        {
            var statuses = await CallAsync(batch);
            // Counted before the requests are answered (each goes on on this thread): an operator who has seen the 503s
            // finds them counted.
            // A run of refusals ends with a batch taken, before this batch's own refusals (if any) start the next.
            var refused = RefusedOf(batch, statuses);
            if (refused.Count < batch.Count)
            {
                traffic.Taken();
            }
            Count(refused);
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Complete(i < statuses.Count ? OutcomeOf(statuses[i]) : AcceptOutcome.Unavailable);
            }
        }
        catch (RpcException e)
        {
            LogBotUnavailable(logger, batch.Count, batch[0].Envelope.UpdateId, e.StatusCode);
            Count(RefusedOf(batch, []));
            CompleteAll(batch, AcceptOutcome.Unavailable);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Not expected from a gRPC client; the requests waiting on it must still be answered.
            LogCallFailed(logger, batch.Count, e.GetType().Name);
            Count(RefusedOf(batch, []));
            CompleteAll(batch, AcceptOutcome.Unavailable);
        }
    }

    /// <summary>The updates of <paramref name="batch"/> the bot did not take, by its <paramref name="statuses"/> (none given: all of them): how many, and their update ids.</summary>
    static (int Count, long Lowest, long Highest) RefusedOf(List<PendingUpdate> batch, IList<AcceptStatus> statuses)
    {
        var (count, lowest, highest) = (0, long.MaxValue, long.MinValue);
        for (var i = 0; i < batch.Count; i++)
        {
            if (i >= statuses.Count || OutcomeOf(statuses[i]) == AcceptOutcome.Unavailable)
            {
                var id = batch[i].Envelope.UpdateId;
                (count, lowest, highest) = (count + 1, Math.Min(lowest, id), Math.Max(highest, id));
            }
        }
        return (count, lowest, highest);
    }

    /// <summary>Records <paramref name="refused"/> for operators (<see cref="WebhookTraffic"/>), if any.</summary>
    void Count((int Count, long Lowest, long Highest) refused)
    {
        if (refused.Count > 0)
        {
            traffic.Refused(refused.Count, refused.Lowest, refused.Highest);
        }
    }

    async Task<IList<AcceptStatus>> CallAsync(List<PendingUpdate> batch)
    {
        var request = new AcceptBatchRequest();
        foreach (var pending in batch)
        {
            request.Updates.Add(new AcceptItem
            {
                UpdateId = pending.Envelope.UpdateId,
                ChatId = pending.Envelope.ChatId,
                // Valid until the item completes (AcceptAsync's contract), so wrapped, not copied.
                UpdateJson = UnsafeByteOperations.UnsafeWrap(pending.Json),
                Traceparent = pending.TraceParent,
            });
        }
        GatewayTelemetry.AcceptBatchSize.Record(batch.Count);
        using var activity = StartBatchActivity(batch);
        return (await bot.AcceptBatchAsync(request)).Statuses;
    }

    static void CompleteAll(List<PendingUpdate> batch, AcceptOutcome outcome)
    {
        foreach (var pending in batch)
        {
            pending.Complete(outcome);
        }
    }

    static AcceptOutcome OutcomeOf(AcceptStatus status) => status switch
    {
        AcceptStatus.Accepted => AcceptOutcome.Queued,
        AcceptStatus.Duplicate => AcceptOutcome.Duplicate,
        AcceptStatus.Invalid => AcceptOutcome.Invalid,
        _ => AcceptOutcome.Unavailable,
    };

    /// <summary>
    /// The span the call's client span hangs under: a child of the first update's webhook request (so a lone update is
    /// one trace from the webhook to the worker), linked to the others' requests. Nothing at all when nobody listens.
    /// </summary>
    static Activity? StartBatchActivity(List<PendingUpdate> batch)
    {
        if (!GatewayTelemetry.Source.HasListeners())
        {
            return null;
        }
        List<ActivityLink>? links = null;
        for (var i = 1; i < batch.Count; i++)
        {
            if (batch[i].TraceContext != default)
            {
                (links ??= new List<ActivityLink>(batch.Count - 1)).Add(new ActivityLink(batch[i].TraceContext));
            }
        }
        var activity = GatewayTelemetry.Source.StartActivity("AcceptBatch", ActivityKind.Internal, batch[0].TraceContext, links: links);
        activity?.SetTag("mesh.batch.size", batch.Count);
        return activity;
    }

    [LoggerMessage(1, LogLevel.Warning, "AcceptBatch of {Count} updates (first {UpdateId}) failed: bot service answered {GrpcStatus}; Telegram will re-deliver them")]
    static partial void LogBotUnavailable(ILogger logger, int count, long updateId, StatusCode grpcStatus);

    [LoggerMessage(2, LogLevel.Error, "AcceptBatch of {Count} updates failed with {Error}; Telegram will re-deliver them")]
    static partial void LogCallFailed(ILogger logger, int count, string error);

    /// <summary>
    /// One webhook request's update, waiting for its batch; completes with its outcome. Waiting → Taken by a sender
    /// loop, or Waiting → Withdrawn by its request's cancellation (then never read again): never both. Its request
    /// goes on (writes its answer) on the thread that completes it: the sender loop answers its batch's requests one
    /// after another, each only writing a small response, rather than queueing a thread-pool work item per request
    /// (measured at 40 senders: the gateway's work items per update 1.50 → 0.48; context switches, CPU per update and
    /// ack p99 within the noise, 2 A/B pairs).
    /// </summary>
    sealed class PendingUpdate(UpdateEnvelope envelope, ReadOnlyMemory<byte> json, Activity? request)
        : TaskCompletionSource<AcceptOutcome>(TaskCreationOptions.None)
    {
        const int Waiting = 0, Taken = 1, Withdrawn = 2;
        int state = Waiting;

        public UpdateEnvelope Envelope { get; } = envelope;

        public ReadOnlyMemory<byte> Json { get; } = json;

        public ActivityContext TraceContext { get; } = request?.Context ?? default;

        public string TraceParent { get; } = request is { IdFormat: ActivityIdFormat.W3C, Id: { } id } ? id : "";

        public bool TryTake() => Interlocked.CompareExchange(ref state, Taken, Waiting) == Waiting;

        CancellationTokenRegistration withdrawal;

        /// <summary>Withdraws it when <paramref name="cancellationToken"/> is cancelled while it still waits (at once if it is already).</summary>
        public void WithdrawOn(CancellationToken cancellationToken) =>
            withdrawal = cancellationToken.UnsafeRegister(static p => ((PendingUpdate)p!).Withdraw(), this);

        /// <summary>
        /// Completes it with <paramref name="outcome"/> (the first outcome wins), its request going on on this thread, and
        /// drops the withdrawal's registration without waiting for a withdrawal running meanwhile (which then finds it
        /// taken, or completes it Unavailable itself).
        /// </summary>
        public void Complete(AcceptOutcome outcome)
        {
            withdrawal.Unregister();
            TrySetResult(outcome);
        }

        /// <summary>
        /// Called from the request's cancellation: the request goes on from a thread-pool item, not inside the token's
        /// callback (which would hold the token's other callbacks behind the rest of the request).
        /// </summary>
        void Withdraw()
        {
            if (Interlocked.CompareExchange(ref state, Withdrawn, Waiting) == Waiting)
            {
                ThreadPool.UnsafeQueueUserWorkItem(static pending => pending.Complete(AcceptOutcome.Unavailable), this, preferLocal: true);
            }
        }
    }
}
