namespace Mesh.Testing;

/// <summary>
/// Finds processes a run of the mesh left behind: orchestrator processes that monitor a given process, and servers
/// whose command line or working directory lies under a given directory.
/// </summary>
public static class MeshProcesses
{
    public sealed record Found(int Id, string CommandLine);

    public static IReadOnlyList<Found> MonitoringOrUnder(int monitoredProcessId, string directory)
    {
        var found = new List<Found>();
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
                if (commandLine.Contains($"--monitor {monitoredProcessId} ", StringComparison.Ordinal)
                    || commandLine.EndsWith($"--monitor {monitoredProcessId}", StringComparison.Ordinal)
                    || commandLine.Contains(directory, StringComparison.Ordinal)
                    || workingDirectory.StartsWith(directory, StringComparison.Ordinal))
                {
                    found.Add(new(id, commandLine));
                }
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return found;
    }

    /// <summary>Waits (the orchestrator takes 14–18 s to stop everything) until nothing is left; returns what remains.</summary>
    public static async Task<IReadOnlyList<Found>> WaitUntilGoneAsync(int monitoredProcessId, string directory, TimeSpan deadline)
    {
        var until = DateTime.UtcNow + deadline;
        while (true)
        {
            var left = MonitoringOrUnder(monitoredProcessId, directory);
            if (left.Count == 0 || DateTime.UtcNow > until)
            {
                return left;
            }
            await Task.Delay(250);
        }
    }
}
