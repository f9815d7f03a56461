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

    /// <summary>A TCP port free on 127.0.0.1 right now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
