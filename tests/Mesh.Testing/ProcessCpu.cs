using System.Globalization;

namespace Mesh.Testing;

/// <summary>A process's CPU time as Linux counts it (the benchmarks read the services' and Redis's).</summary>
public static class ProcessCpu
{
    /// <summary>Clock ticks per second of <see cref="Ticks"/> (USER_HZ).</summary>
    public const double TicksPerSecond = 100;

    /// <summary>utime + stime of process <paramref name="pid"/> in clock ticks; 0 when there is no such process.</summary>
    public static long Ticks(int pid)
    {
        if (pid <= 0 || !File.Exists($"/proc/{pid}/stat"))
        {
            return 0;
        }
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }
}
