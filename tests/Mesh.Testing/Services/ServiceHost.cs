using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;

namespace Mesh.Testing.Services;

/// <summary>
/// A Mesh service (<c>BotService</c>, <c>Gateway</c>) run as a real process from its built dll, configured only the way
/// the AppHost configures it (environment variables), on free ports. <see cref="Kill"/> is a crash; disposing stops it.
/// The test project must reference the service project (<c>ReferenceOutputAssembly="false"</c> is enough) so it is built.
/// </summary>
public sealed class ServiceHost : IAsyncDisposable
{
    readonly Process process;
    readonly StringBuilder output = new();

    ServiceHost(Process process, int httpPort, int? grpcPort)
    {
        this.process = process;
        HttpPort = httpPort;
        GrpcPort = grpcPort;
    }

    public int HttpPort { get; }

    public int? GrpcPort { get; }

    public string HttpUrl => $"http://127.0.0.1:{HttpPort}";

    public string GrpcUrl => $"http://127.0.0.1:{GrpcPort}";

    public bool HasExited => process.HasExited;

    public int ProcessId => process.Id;

    public int ExitCode => process.ExitCode;

    public string Output
    {
        get { lock (output) { return output.ToString(); } }
    }

    /// <summary>The built dll of a service project of this repository (same configuration as the tests).</summary>
    public static string DllOf(string project)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        var dll = Path.Combine(Repository.Root, project, "bin", configuration, "net10.0", project + ".dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"{project} is not built; reference its project from the test project", dll);
    }

    /// <summary>
    /// Starts the service and returns at once (see <see cref="WaitUntilAsync"/>). Keys use <c>:</c>; they become <c>__</c>
    /// variables. <paramref name="httpPort"/> is for a service whose URL another must know before it starts (a free one otherwise).
    /// </summary>
    public static ServiceHost Start(string project, IReadOnlyDictionary<string, string?> configuration, bool grpc = false, string environment = "Development", int? httpPort = null)
    {
        httpPort ??= ServerProcess.FreePort();
        int? grpcPort = grpc ? ServerProcess.FreePort() : null;
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(DllOf(project))!,
        };
        info.ArgumentList.Add(DllOf(project));
        foreach (var (name, value) in Aspire.Hosting.ServiceRuntime.EnvironmentOf(project))
        {
            info.Environment[name] = value; // as the AppHost runs it (the configuration below may override)
        }
        info.Environment["ASPNETCORE_ENVIRONMENT"] = environment;
        info.Environment["DOTNET_ENVIRONMENT"] = environment;
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["Kestrel__Endpoints__http__Url"] = $"http://127.0.0.1:{httpPort}";
        if (grpcPort is { } port)
        {
            info.Environment["Kestrel__Endpoints__grpc__Url"] = $"http://127.0.0.1:{port}";
            info.Environment["Kestrel__Endpoints__grpc__Protocols"] = "Http2";
        }
        foreach (var (key, value) in configuration)
        {
            info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var host = new ServiceHost(process, httpPort.Value, grpcPort);
        process.OutputDataReceived += (_, e) => host.Append(e.Data);
        process.ErrorDataReceived += (_, e) => host.Append(e.Data);
        ChildProcesses.Start(process);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return host;
    }

    /// <summary>Starts the service and waits until <c>/alive</c> answers.</summary>
    public static async Task<ServiceHost> StartAsync(string project, IReadOnlyDictionary<string, string?> configuration, bool grpc = false, string environment = "Development", int? httpPort = null)
    {
        var host = Start(project, configuration, grpc, environment, httpPort);
        try
        {
            await host.WaitUntilAsync("/alive", TimeSpan.FromSeconds(30));
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    void Append(string? line)
    {
        if (line is not null)
        {
            lock (output) { output.AppendLine(line); }
        }
    }

    /// <summary>Waits until <paramref name="path"/> answers 200, failing with the output if the process exits or the deadline passes.</summary>
    public async Task WaitUntilAsync(string path, TimeSpan deadline)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var until = DateTime.UtcNow + deadline;
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{process.StartInfo.ArgumentList[0]} exited with {process.ExitCode}:\n{Output}");
            }
            try
            {
                using var response = await http.GetAsync(HttpUrl + path);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }
            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"{path} did not answer 200 within {deadline}:\n{Output}");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>Waits for the process to exit on its own (e.g. refusing to start), returning its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan deadline)
    {
        using var timeout = new CancellationTokenSource(deadline);
        await process.WaitForExitAsync(timeout.Token);
        return process.ExitCode;
    }

    /// <summary>Stops the service as a supervisor does (SIGTERM) and returns its exit code.</summary>
    public async Task<int> StopAsync(TimeSpan deadline)
    {
        _ = kill(process.Id, 15);
        return await WaitForExitAsync(deadline);
    }

    /// <summary>A crash: SIGKILL, no shutdown code runs.</summary>
    public void Kill()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            _ = kill(process.Id, 15);
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                Kill();
            }
        }
        process.Dispose();
    }

    [DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int signal);
}
