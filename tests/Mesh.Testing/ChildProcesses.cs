using System.Collections.Concurrent;
using System.Diagnostics;

namespace Mesh.Testing;

/// <summary>
/// The processes a test run started (services, Redis, PostgreSQL). Each is stopped by whoever owns it; this is the net
/// for the rest: a fixture whose start failed is never disposed (xunit does not dispose what did not initialize), and a
/// test run that is cancelled disposes nothing. Whatever is still running when the test process exits is killed, so no
/// service keeps running, holding ports and CPU, after the run that started it.
/// </summary>
public static class ChildProcesses
{
    static readonly ConcurrentDictionary<Process, byte> Running = new();

    static ChildProcesses() => AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();

    /// <summary>Starts <paramref name="process"/> and keeps it until it exits.</summary>
    public static void Start(Process process)
    {
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => Running.TryRemove(process, out _);
        // Kept before it starts: one that exits at once is removed by its Exited, never added after it.
        Running[process] = 0;
        try
        {
            process.Start();
        }
        catch
        {
            Running.TryRemove(process, out _);
            throw;
        }
    }

    static void KillAll()
    {
        foreach (var process in Running.Keys)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // It exited meanwhile.
            }
        }
    }
}
