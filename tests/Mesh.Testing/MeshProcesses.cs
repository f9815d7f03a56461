using System.Runtime.InteropServices;

namespace Mesh.Testing;

/// <summary>
/// Finds the processes of a run of the mesh, and what a run left behind: the orchestrator's processes (each dcp process
/// monitors the one that started it, <c>--monitor &lt;pid&gt;</c>, so the chain is followed from the AppHost), a
/// process's descendants, and servers whose command line or working directory lies under a given directory.
/// </summary>
public static class MeshProcesses
{
    public const int SigInt = 2;
    public const int SigTerm = 15;

    public sealed record Found(int Id, string CommandLine);

    sealed record ProcessEntry(int Id, int ParentId, string CommandLine, string WorkingDirectory);

    /// <summary>
    /// Processes that monitor <paramref name="monitoredProcessId"/>, directly or through another monitor, and those
    /// running under <paramref name="directory"/>.
    /// </summary>
    public static IReadOnlyList<Found> MonitoringOrUnder(int monitoredProcessId, string directory)
    {
        var processes = Snapshot();
        var monitors = new HashSet<int> { monitoredProcessId };
        for (var grew = true; grew;)
        {
            grew = false;
            foreach (var p in processes)
            {
                if (!monitors.Contains(p.Id) && monitors.Any(m => Monitors(p.CommandLine, m)))
                {
                    grew = monitors.Add(p.Id);
                }
            }
        }
        return [.. processes
            .Where(p => (p.Id != monitoredProcessId && monitors.Contains(p.Id))
                || p.CommandLine.Contains(directory, StringComparison.Ordinal)
                || p.WorkingDirectory.StartsWith(directory, StringComparison.Ordinal))
            .Select(p => new Found(p.Id, p.CommandLine))];
    }

    /// <summary>Every process started, directly or not, by <paramref name="processId"/>.</summary>
    public static IReadOnlyList<Found> DescendantsOf(int processId)
    {
        var processes = Snapshot();
        var tree = new HashSet<int> { processId };
        for (var grew = true; grew;)
        {
            grew = false;
            foreach (var p in processes)
            {
                if (tree.Contains(p.ParentId) && tree.Add(p.Id))
                {
                    grew = true;
                }
            }
        }
        return [.. processes.Where(p => p.Id != processId && tree.Contains(p.Id)).Select(p => new Found(p.Id, p.CommandLine))];
    }

    /// <summary>Those of <paramref name="processes"/> still alive (same id, same command line).</summary>
    public static IReadOnlyList<Found> StillRunning(IEnumerable<Found> processes)
    {
        var alive = Snapshot().ToDictionary(p => p.Id, p => p.CommandLine);
        return [.. processes.Where(p => alive.TryGetValue(p.Id, out var commandLine) && commandLine == p.CommandLine)];
    }

    /// <summary>Waits (the orchestrator takes 14–18 s to stop everything) until nothing is left; returns what remains.</summary>
    public static async Task<IReadOnlyList<Found>> WaitUntilGoneAsync(int monitoredProcessId, string directory, TimeSpan deadline) =>
        await WaitUntilEmptyAsync(() => MonitoringOrUnder(monitoredProcessId, directory), deadline);

    /// <summary>Waits until none of <paramref name="processes"/> runs any more; returns what remains.</summary>
    public static async Task<IReadOnlyList<Found>> WaitUntilGoneAsync(IReadOnlyList<Found> processes, TimeSpan deadline) =>
        await WaitUntilEmptyAsync(() => StillRunning(processes), deadline);

    static async Task<IReadOnlyList<Found>> WaitUntilEmptyAsync(Func<IReadOnlyList<Found>> left, TimeSpan deadline)
    {
        var until = DateTime.UtcNow + deadline;
        while (true)
        {
            var remaining = left();
            if (remaining.Count == 0 || DateTime.UtcNow > until)
            {
                return remaining;
            }
            await Task.Delay(250);
        }
    }

    /// <summary>Sends a signal (<see cref="SigInt"/>, <see cref="SigTerm"/>); false when the process is gone.</summary>
    public static bool Signal(int processId, int signal) => kill(processId, signal) == 0;

    static bool Monitors(string commandLine, int processId) =>
        commandLine.Contains($"--monitor {processId} ", StringComparison.Ordinal)
        || commandLine.EndsWith($"--monitor {processId}", StringComparison.Ordinal);

    static List<ProcessEntry> Snapshot()
    {
        var processes = new List<ProcessEntry>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var id) || id == Environment.ProcessId)
            {
                continue;
            }
            try
            {
                var commandLine = File.ReadAllText(Path.Combine(entry, "cmdline")).Replace('\0', ' ').Trim();
                var workingDirectory = new FileInfo(Path.Combine(entry, "cwd")).LinkTarget ?? "";
                // stat: "pid (comm) state ppid …"; comm may hold spaces and parentheses, so read after the last ')'.
                var stat = File.ReadAllText(Path.Combine(entry, "stat"));
                var parentId = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
                processes.Add(new(id, parentId, commandLine, workingDirectory));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked, or is not ours to read.
            }
        }
        return processes;
    }

    [DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int signal);
}
