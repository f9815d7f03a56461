using System.Diagnostics.Tracing;
using System.Globalization;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;

/// <summary>
/// Managed allocations, garbage collections, the time they paused the process and thread-pool work items of another .NET
/// process since it started, read from outside over its diagnostics IPC: an EventPipe session on the runtime's
/// <c>System.Runtime</c> meter (through the <c>System.Diagnostics.Metrics</c> event source) that publishes the cumulative
/// <c>dotnet.gc.heap.total_allocated</c>, <c>dotnet.gc.collections</c>, <c>dotnet.gc.pause.time</c> and
/// <c>dotnet.thread_pool.work_item.count</c> once a second. Totals, not rates, so the difference of two reads is exact.
/// An open session costs the process a little (a sample a second, and its event stream's thread: tens of context
/// switches a second), so a measurement that needs the totals at two moments reads each with <see cref="ReadOnceAsync"/>.
/// </summary>
sealed class RuntimeCounters : IAsyncDisposable
{
    const string MetricsSource = "System.Diagnostics.Metrics";
    const string AllocatedInstrument = "dotnet.gc.heap.total_allocated";
    const string CollectionsInstrument = "dotnet.gc.collections";
    const string PauseInstrument = "dotnet.gc.pause.time";
    const string WorkItemsInstrument = "dotnet.thread_pool.work_item.count";
    const long TimeSeriesValuesKeyword = 0x2;
    static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    readonly EventPipeSession session;
    readonly EventPipeEventSource events;
    readonly string sessionId;
    readonly Task processing;
    // Completed with each sample once its collection has ended; cancelled when the session ends or the source refuses it.
    TaskCompletionSource<Sample> nextSample = new(TaskCreationOptions.RunContinuationsAsynchronously);
    volatile bool ended;
    long? allocated;
    long? gen0;
    long? workItems;
    double? pauseSeconds;

    RuntimeCounters(EventPipeSession session, string sessionId)
    {
        this.session = session;
        this.sessionId = sessionId;
        events = new EventPipeEventSource(session.EventStream);
        events.Dynamic.All += OnEvent;
        processing = Task.Factory.StartNew(ProcessEvents, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>
    /// Opens the session on process <paramref name="pid"/>; null when it cannot be opened (the process is gone, or
    /// runs with <c>DOTNET_EnableDiagnostics=0</c>).
    /// </summary>
    public static async Task<RuntimeCounters?> StartAsync(int pid, CancellationToken cancellationToken = default)
    {
        var sessionId = Guid.NewGuid().ToString("N");
        var provider = new EventPipeProvider(MetricsSource, EventLevel.Informational, TimeSeriesValuesKeyword, new Dictionary<string, string>
        {
            ["SessionId"] = sessionId,
            ["Metrics"] = $@"System.Runtime\{AllocatedInstrument};System.Runtime\{CollectionsInstrument};System.Runtime\{PauseInstrument};System.Runtime\{WorkItemsInstrument}",
            ["RefreshInterval"] = Interval.TotalSeconds.ToString(CultureInfo.InvariantCulture),
        });
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            var session = await new DiagnosticsClient(pid).StartEventPipeSessionAsync(
                new EventPipeSessionConfiguration([provider], circularBufferSizeMB: 4, requestRundown: false, requestStackwalk: false), timeout.Token);
            return new RuntimeCounters(session, sessionId);
        }
        catch (Exception e) when (e is DiagnosticsClientException or IOException or UnauthorizedAccessException or TimeoutException
            || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null;
        }
    }

    /// <summary>
    /// The totals of process <paramref name="pid"/> now, from a session opened for this read (about two seconds), or null
    /// when none can be opened or it yields no sample. The session's own start and end allocate a few kilobytes.
    /// </summary>
    public static async Task<RuntimeTotals?> ReadOnceAsync(int pid, CancellationToken cancellationToken = default)
    {
        await using var counters = await StartAsync(pid, cancellationToken);
        return counters is null ? null : await counters.ReadAsync(cancellationToken: cancellationToken);
    }

    /// <summary>
    /// The totals as the process sees them now: the first sample taken after this call (it reaches us within about two
    /// seconds, the stream handing each on a second late), or null when none comes within <paramref name="deadline"/>
    /// (ten seconds unless told) or the session has ended.
    /// </summary>
    public async Task<RuntimeTotals?> ReadAsync(TimeSpan? deadline = null, CancellationToken cancellationToken = default)
    {
        var asked = DateTime.UtcNow;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(deadline ?? TimeSpan.FromSeconds(10));
        try
        {
            while (true)
            {
                // The event thread swaps in the next source before it completes this one, so the loop never misses one.
                var sample = await Volatile.Read(ref nextSample).Task.WaitAsync(timeout.Token);
                // The collection's own clock: it read the counters after its interval's end, so after this call.
                if (sample.IntervalEnd >= asked)
                {
                    return sample.Totals;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null; // no sample in time, or the session has ended
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await session.StopAsync(timeout.Token);
        }
        catch (Exception e) when (e is DiagnosticsClientException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The process is gone or no longer answers: its end of the stream closes anyway.
        }
        try
        {
            await processing.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
            // Disposing the session below closes the stream under it.
        }
        events.Dispose();
        session.Dispose();
    }

    void ProcessEvents()
    {
        try
        {
            events.Process();
        }
        catch (Exception)
        {
            // The stream broke off (the process exited) or carried what the parser does not know: the session is over
            // either way, and this thread must not take the benchmark down with it.
        }
        End();
    }

    void OnEvent(TraceEvent e)
    {
        if (e.ProviderName != MetricsSource)
        {
            return;
        }
        switch (e.EventName)
        {
            case "CounterRateValuePublished" when Mine(e):
                var instrument = (string)e.PayloadByName("instrumentName");
                if (!double.TryParse((string)e.PayloadByName("value"), NumberStyles.Float, CultureInfo.InvariantCulture, out var total))
                {
                    break;
                }
                var value = (long)total;
                if (instrument == AllocatedInstrument)
                {
                    allocated = value;
                }
                else if (instrument == CollectionsInstrument && (string)e.PayloadByName("tags") == "gc.heap.generation=gen0")
                {
                    gen0 = value;
                }
                else if (instrument == WorkItemsInstrument)
                {
                    workItems = value;
                }
                else if (instrument == PauseInstrument)
                {
                    pauseSeconds = total;
                }
                break;
            case "Collection/Stop" or "CollectionStop" when Mine(e):
                if (allocated is { } bytes && gen0 is { } collections && workItems is { } items && pauseSeconds is { } paused && !ended)
                {
                    var end = ((DateTime)e.PayloadByName("intervalEndTime")).ToUniversalTime();
                    var done = Interlocked.Exchange(ref nextSample, new(TaskCreationOptions.RunContinuationsAsynchronously));
                    done.TrySetResult(new Sample(end, new RuntimeTotals(bytes, collections, items, paused)));
                }
                allocated = gen0 = workItems = null; // each sample from one collection
                pauseSeconds = null;
                break;
            case "MultipleSessionsNotSupportedError" when (string)e.PayloadByName("runningSessionId") != sessionId:
            case "MultipleSessionsConfiguredIncorrectlyError":
                End(); // another tool (dotnet-counters, dotnet-monitor) holds the source: it ignores this session
                break;
        }
    }

    bool Mine(TraceEvent e) => (string)e.PayloadByName("sessionId") == sessionId;

    void End()
    {
        ended = true;
        Volatile.Read(ref nextSample).TrySetCanceled();
    }

    sealed record Sample(DateTime IntervalEnd, RuntimeTotals Totals);
}

/// <summary>
/// A process's managed allocations, gen0 collections (those that collected gen0 only), thread-pool work items run (each a
/// hop to a pool thread, which may have to be woken for it) and seconds its threads were paused by collections since it
/// started.
/// </summary>
readonly record struct RuntimeTotals(long AllocatedBytes, long Gen0Collections, long WorkItems, double GcPauseSeconds)
{
    public static RuntimeTotals operator -(RuntimeTotals after, RuntimeTotals before) =>
        new(after.AllocatedBytes - before.AllocatedBytes, after.Gen0Collections - before.Gen0Collections, after.WorkItems - before.WorkItems,
            after.GcPauseSeconds - before.GcPauseSeconds);
}
