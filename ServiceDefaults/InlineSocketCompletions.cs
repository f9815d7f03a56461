namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Socket completions (a request's bytes, a gRPC frame, a Redis reply, the Bot API's answer) run on the socket engine's
/// own threads, one per core, instead of each being handed to a thread-pool thread that has to be woken for it. The
/// update path is a chain of short socket completions, so this saves a thread wake-up at most of its steps. Measured
/// with the update-path benchmark at 40 senders (20 s runs, taken in turn): the bot's context switches per update
/// 1.59–1.70 against 1.73–1.85 in every pair; the sustained rate higher in 7 of 12 pairs, within this machine's noise.
/// The gateway gains more from Kestrel's inline scheduling, which needs this (see the gateway's Program.cs).
/// The condition for it: nothing in the process may block a thread waiting for a socket (sync-over-async), since a
/// blocked engine thread would hold every socket it serves. Every Redis, HTTP and gRPC call of Mesh is awaited.
/// </summary>
public static class InlineSocketCompletions
{
    /// <summary>The runtime's switch; read once, when the process's first socket is made.</summary>
    public const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>
    /// Turns inline completions on for this process unless <see cref="Variable"/> is already set (to anything: an
    /// operator's <c>0</c> wins). Call first in <c>Main</c>, before anything opens a socket; later it has no effect.
    /// </summary>
    public static void EnableUnlessSet()
    {
        if (Environment.GetEnvironmentVariable(Variable) is null)
        {
            Environment.SetEnvironmentVariable(Variable, "1");
        }
    }

    /// <summary>Whether they are on for this process (after <see cref="EnableUnlessSet"/>: unless an operator turned them off).</summary>
    public static bool Enabled => Environment.GetEnvironmentVariable(Variable) == "1";
}
