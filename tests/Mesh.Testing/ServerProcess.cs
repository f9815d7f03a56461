using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Mesh.Testing;

/// <summary>A store server started by a test fixture: its output kept for failure messages, stopped with a signal.</summary>
public sealed class ServerProcess : IAsyncDisposable
{
    readonly Process process;
    readonly StringBuilder output = new();

    ServerProcess(Process process) => this.process = process;

    public int Id => process.Id;

    public bool HasExited => process.HasExited;

    public string Output
    {
        get { lock (output) { return output.ToString(); } }
    }

    public static ServerProcess Start(string fileName, IEnumerable<object> arguments, string workingDirectory)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(Convert.ToString(argument, System.Globalization.CultureInfo.InvariantCulture)!);
        }
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var server = new ServerProcess(process);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        ChildProcesses.Start(process);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (output)
        {
            output.AppendLine(line);
        }
    }

    /// <summary>Waits until <paramref name="ready"/> holds, failing with the server's output if it exits or the deadline passes.</summary>
    public async Task WaitUntilReadyAsync(Func<CancellationToken, Task<bool>> ready, TimeSpan deadline)
    {
        using var timeout = new CancellationTokenSource(deadline);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{process.StartInfo.FileName} exited with {process.ExitCode}:\n{Output}");
            }
            try
            {
                if (await ready(timeout.Token))
                {
                    return;
                }
            }
            catch (Exception) when (!timeout.IsCancellationRequested)
            {
            }
            if (timeout.IsCancellationRequested)
            {
                throw new TimeoutException($"{process.StartInfo.FileName} was not ready within {deadline}:\n{Output}");
            }
            await Task.Delay(50, CancellationToken.None);
        }
    }

    /// <summary>Asks the server to stop (SIGINT: PostgreSQL's fast shutdown), then kills it if it lingers.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            MeshProcesses.Signal(process.Id, MeshProcesses.SigInt);
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
        process.Dispose();
    }

    /// <summary>
    /// Where <see cref="FreePort"/> looks: from 20,000 up to Linux's ephemeral range (the local ports of outgoing
    /// connections; 32768–60999 by default), or above it when it starts too low to leave room below; null: neither has
    /// room, and the kernel picks (as before).
    /// </summary>
    static readonly (int First, int Count)? PortRange = PortRangeOutsideEphemeral();

    static readonly HashSet<int> HandedOut = [];

    /// <summary>The ports this process reserved against other test processes (locks held until it exits, then their files deleted).</summary>
    static readonly List<FileStream> Reservations = CreateReservations();

    static List<FileStream> CreateReservations()
    {
        var reservations = new List<FileStream>();
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            lock (HandedOut)
            {
                reservations.ForEach(r => r.Dispose());
            }
        };
        return reservations;
    }

    static readonly string ReservationDirectory = SharedTempDirectory.Get("mesh-test-ports");

    /// <summary>
    /// A TCP port free on 127.0.0.1 right now, for a server a test starts: handed out once per process, and reserved
    /// against the other test processes running at the same time (an exclusive lock on a file named after it, held until
    /// this process exits). It is taken outside the ephemeral range: a port the kernel hands out for port 0 comes from the
    /// range every outgoing connection takes its local port from, so between this check and the server's bind a client
    /// socket of any test running meanwhile could take it (a service then failed to start with "address already in use").
    /// </summary>
    public static int FreePort()
    {
        if (PortRange is not (var first, var count))
        {
            return KernelPickedPort();
        }
        for (var attempt = 0; attempt < 1000; attempt++)
        {
            var port = first + Random.Shared.Next(count);
            lock (HandedOut)
            {
                if (!HandedOut.Add(port) || !TryReserve(port))
                {
                    continue;
                }
            }
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // In use by something else: another.
            }
        }
        throw new InvalidOperationException($"No free port in {first}–{first + count - 1} after 1,000 tries.");
    }

    /// <summary>
    /// A port where nothing listens and nothing can start listening while the returned socket is open (it holds the port,
    /// bound but not listening): a connection to it is refused. For a test of an unreachable peer.
    /// </summary>
    public static (int Port, IDisposable Hold) ClosedPort()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return (((IPEndPoint)socket.LocalEndPoint!).Port, socket);
    }

    static int KernelPickedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Takes the port's lock file unless another test process holds it (caller holds <see cref="HandedOut"/>).</summary>
    static bool TryReserve(int port)
    {
        try
        {
            Reservations.Add(new FileStream(Path.Combine(ReservationDirectory, $"{port}.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose));
            return true;
        }
        catch (IOException)
        {
            return false; // another test process has it
        }
    }

    static (int First, int Count)? PortRangeOutsideEphemeral()
    {
        const int Floor = 20000, Enough = 2000;
        var (low, high) = (32768, 60999);
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            (low, high) = (int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(range[1], System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            // Not Linux (or not readable): its default.
        }
        if (low - Floor >= Enough)
        {
            return (Floor, low - Floor);
        }
        return 65535 - high >= Enough ? (high + 1, 65535 - high) : null;
    }
}
