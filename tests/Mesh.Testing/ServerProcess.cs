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

    /// <summary>Where <see cref="FreePort"/> looks: below Linux's ephemeral range (32768–60999).</summary>
    const int FirstPort = 20000, PortsAfterFirst = 12000;

    static readonly HashSet<int> HandedOut = [];

    /// <summary>
    /// A TCP port free on 127.0.0.1 right now, for a server a test starts, never handed out before in this process. It is
    /// taken below the ephemeral range: a port the kernel hands out for port 0 comes from the range every outgoing
    /// connection takes its local port from, so between this check and the server's bind a client socket of any test
    /// running meanwhile could take it (a service then failed to start with "address already in use").
    /// </summary>
    public static int FreePort()
    {
        for (var attempt = 0; attempt < 1000; attempt++)
        {
            var port = FirstPort + Random.Shared.Next(PortsAfterFirst);
            lock (HandedOut)
            {
                if (!HandedOut.Add(port))
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
                // In use: another.
            }
        }
        throw new InvalidOperationException($"No free port in {FirstPort}–{FirstPort + PortsAfterFirst - 1} after 1,000 tries.");
    }
}
