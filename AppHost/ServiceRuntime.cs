using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

/// <summary>
/// Runtime settings a .NET service of the mesh runs with, wherever it is started: the AppHost declaration
/// (<see cref="WithServiceRuntime"/>), <c>dotnet run --project</c> (the service's launchSettings.json carries the same
/// variables; a test keeps them equal) and the tests' and benchmark's service hosts. They are environment variables
/// because the GC reads these settings from nowhere else (no runtimeconfig.json knob); a deployment that starts the
/// built dll sets them too (README, Operating the bot).
/// </summary>
public static class ServiceRuntime
{
    /// <summary>
    /// By project name. Gateway: <c>DOTNET_GCgen0size</c>, an 8 MiB gen0 budget. On workstation GC the budget follows
    /// the CPU cache (tens of MB here) and is kept after a load: after the benchmark's 40 and 100 sender runs the gateway
    /// held 138–151 MB of RSS, with this 124–130 MB, CPU per update unchanged (the limit is 150 MB).
    /// BotService: <c>DOTNET_GCGen1MaxBudget</c>, a 6 MiB gen1 budget. On server GC its dynamic adaptation (DATAS) sizes
    /// gen0 to what survives (a fixed 8 MiB gen0 overrode that and raised its RSS, ~137 → ~170 MB), but lets gen1 grow:
    /// what is in flight at each gen0 GC (handlers, requests) is promoted there and dies, and under load no gen1 GC came for
    /// 30 s and more while gen1 grew by ~0.7 MB a second (2 → 22 MB), so the bot's RSS after a load depended on when the
    /// last one ran: 134–163 MB after 20–30 s runs. With the cap a gen1 GC comes every few gen0 GCs, gen1 stays under
    /// ~1 MB and the RSS after the same runs was 133–140 MB, with no more GC pause time per update (3 pairs of A/B runs).
    /// </summary>
    static readonly Dictionary<string, IReadOnlyDictionary<string, string>> ByProject = new()
    {
        ["Gateway"] = new Dictionary<string, string> { ["DOTNET_GCgen0size"] = "0x800000" },
        ["BotService"] = new Dictionary<string, string> { ["DOTNET_GCGen1MaxBudget"] = "0x600000" },
    };

    /// <summary>The environment variables of <paramref name="project"/> (its project file's name, e.g. <c>Gateway</c>).</summary>
    public static IReadOnlyDictionary<string, string> EnvironmentOf(string project) =>
        ByProject.GetValueOrDefault(project) ?? System.Collections.ObjectModel.ReadOnlyDictionary<string, string>.Empty;

    public static IResourceBuilder<ProjectResource> WithServiceRuntime(this IResourceBuilder<ProjectResource> service)
    {
        var project = Path.GetFileNameWithoutExtension(service.Resource.GetProjectMetadata().ProjectPath);
        foreach (var (name, value) in EnvironmentOf(project))
        {
            service.WithEnvironment(name, value);
        }
        return service;
    }
}
