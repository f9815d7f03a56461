namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Socket completions (a request's bytes, a gRPC frame, a Redis reply, the Bot API's answer) run on the socket engine's
/// own threads (one per two cores, see <see cref="EngineThreads"/>), instead of each being handed to a thread-pool
/// thread that has to be woken for it. The update path is a chain of short socket completions, so this saves a thread
/// wake-up at most of its steps. Measured with the update-path benchmark at 40 senders (20 s runs, taken in turn): the
/// bot's context switches per update 1.59–1.70 against 1.73–1.85 in every pair; the sustained rate higher in 7 of 12
/// pairs, within this machine's noise.
/// The gateway gains more from Kestrel's inline scheduling, which needs this (see the gateway's Program.cs).
/// The condition for it: nothing in the process may block a thread waiting for a socket (sync-over-async), since a
/// blocked engine thread would hold every socket it serves. Every Redis, HTTP and gRPC call of Mesh is awaited.
/// </summary>
public static class InlineSocketCompletions
{
    /// <summary>The runtime's switch; read once, when the process's first socket is made.</summary>
    public const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>The runtime's number of socket engine threads; read once, when the process's first socket is made.</summary>
    public const string EngineThreadsVariable = "DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT";

    /// <summary>
    /// Turns inline completions on for this process unless <see cref="Variable"/> is already set (to anything: an
    /// operator's <c>0</c> wins), and runs one socket engine thread per two cores (<see cref="EngineThreads"/>) unless
    /// <see cref="EngineThreadsVariable"/> is set. Call first in <c>Main</c>, before anything opens a socket; later it
    /// has no effect.
    /// </summary>
    public static void EnableUnlessSet()
    {
        if (Environment.GetEnvironmentVariable(Variable) is null)
        {
            Environment.SetEnvironmentVariable(Variable, "1");
        }
        if (Environment.GetEnvironmentVariable(EngineThreadsVariable) is null)
        {
            Environment.SetEnvironmentVariable(EngineThreadsVariable, EngineThreads(Environment.ProcessorCount).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    /// <summary>
    /// Socket engine threads for <paramref name="cores"/> cores: one per two, at least one. With inline completions the
    /// runtime would run one per core, each serving its share of the sockets and so sleeping and waking more often;
    /// the services' sockets are few and their completions short. Measured on the 2-core benchmark machine (20 s runs at
    /// 40 senders, taken in turn): the gateway's context switches per update 0.76-0.77 against 0.65-0.69 with one
    /// engine thread, in each of 3 pairs; the bot's 1.18-1.21 against 1.10-1.21, its CPU per update lower in 2 of 3;
    /// the rates and ack p99 within the noise (B/A medians: sustained 1.03 and 1.05, p99 0.98 and 0.94).
    /// </summary>
    public static int EngineThreads(int cores) => Math.Max(1, cores / 2);

    /// <summary>Whether they are on for this process (after <see cref="EnableUnlessSet"/>: unless an operator turned them off).</summary>
    public static bool Enabled => Environment.GetEnvironmentVariable(Variable) == "1";
}
