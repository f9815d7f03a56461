using System.Diagnostics;

namespace Mesh.AppHost.Stores;

/// <summary>Runs a short command to completion (initdb, stat) and returns its output, or fails with its error output.</summary>
public static class Command
{
    public static string Run(string fileName, IEnumerable<string> arguments, IDictionary<string, string>? environment = null) =>
        RunAsync(fileName, arguments, environment, CancellationToken.None).GetAwaiter().GetResult();

    public static async Task<string> RunAsync(string fileName, IEnumerable<string> arguments,
        IDictionary<string, string>? environment, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{fileName} did not start");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(fileName)} exited with {process.ExitCode}: {(await error).Trim()}");
        }
        return await output;
    }
}
