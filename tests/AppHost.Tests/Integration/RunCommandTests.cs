using System.Diagnostics;
using System.Text;
using Mesh.Testing;

namespace Mesh.AppHost.Tests.Integration;

/// <summary>The AppHost as a developer runs it: <c>dotnet run --project AppHost</c>, stopped with SIGTERM.</summary>
public sealed class RunCommandTests
{
    // The AppHost as these tests were built (`./test.sh -c Release` builds no Debug AppHost to run).
#if DEBUG
    const string Configuration = "Debug";
#else
    const string Configuration = "Release";
#endif

    [Fact]
    public async Task Run_command_prints_the_login_url_and_sigterm_leaves_no_process_behind()
    {
        var dataPath = MeshAppHost.NewDataPath();
        var output = new StringBuilder();
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Repository.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "run", "--project", "AppHost", "--configuration", Configuration, "--no-build", "--no-launch-profile", "--", $"--LocalStores:DataPath={dataPath}" })
        {
            info.ArgumentList.Add(argument);
        }
        var dashboard = ServerProcess.FreePort();
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        info.Environment["DOTNET_ENVIRONMENT"] = "Development";
        info.Environment["ASPNETCORE_URLS"] = $"http://localhost:{dashboard}";
        info.Environment["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true";
        info.Environment["ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"] = $"http://localhost:{ServerProcess.FreePort()}";
        info.Environment["ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"] = $"http://localhost:{ServerProcess.FreePort()}";

        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await WaitForAsync(() => Text(output).Contains("Distributed application started"), TimeSpan.FromMinutes(2), output);
            Assert.Contains($"http://localhost:{dashboard}/login?t=", Text(output));
            // Both servers are up (their processes sit under this run's data directory).
            await WaitForAsync(() => MeshProcesses.MonitoringOrUnder(-1, dataPath).Count >= 2, TimeSpan.FromMinutes(1), output);
            // Everything this run started: the AppHost (a child of dotnet run), the orchestrator's processes (not children:
            // they monitor the AppHost), the servers and services.
            var appHost = MeshProcesses.DescendantsOf(process.Id);
            var run = appHost.Concat(appHost.SelectMany(p => MeshProcesses.MonitoringOrUnder(p.Id, dataPath))).DistinctBy(p => p.Id).ToList();
            Assert.Contains(run, p => p.CommandLine.Contains("dcp", StringComparison.Ordinal));

            Assert.True(MeshProcesses.Signal(process.Id, MeshProcesses.SigTerm));
            using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(45));
            await process.WaitForExitAsync(exited.Token);

            var left = (await MeshProcesses.WaitUntilGoneAsync(run, TimeSpan.FromSeconds(30)))
                .Concat(MeshProcesses.MonitoringOrUnder(-1, dataPath)).ToList();
            Assert.True(left.Count == 0, $"left running: {string.Join("; ", left.Select(p => $"{p.Id} {p.CommandLine}"))}");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
            if (Directory.Exists(dataPath))
            {
                Directory.Delete(dataPath, recursive: true);
            }
        }
    }

    static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    static async Task WaitForAsync(Func<bool> condition, TimeSpan deadline, StringBuilder output)
    {
        var until = DateTime.UtcNow + deadline;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, $"not within {deadline}; AppHost output:\n{Text(output)}");
            await Task.Delay(100);
        }
    }
}
