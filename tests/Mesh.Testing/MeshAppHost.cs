using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Testing;

/// <summary>
/// The whole mesh, started from the AppHost's own declaration with <c>Aspire.Hosting.Testing</c>, its stores' data in
/// a directory of its own. Starting and stopping costs tens of seconds: share one per test collection.
/// </summary>
public sealed class MeshAppHost : IAsyncDisposable
{
    MeshAppHost(DistributedApplication app, string dataPath)
    {
        App = app;
        DataPath = dataPath;
    }

    public DistributedApplication App { get; }

    /// <summary>Where this run's stores keep their data (<c>LocalStores:DataPath</c>).</summary>
    public string DataPath { get; }

    public static string NewDataPath() => Path.Combine(SharedTempDirectory.Get("mesh-tests"), $"apphost-{Guid.NewGuid():N}");

    /// <summary>
    /// Builds and starts the AppHost; <paramref name="settings"/> are configuration keys passed as its arguments;
    /// <paramref name="storesOnly"/> leaves the services (projects) out.
    /// </summary>
    public static async Task<MeshAppHost> StartAsync(string dataPath, IReadOnlyDictionary<string, string>? settings = null,
        TimeSpan? timeout = null, CancellationToken cancellationToken = default, bool withDashboard = false, bool storesOnly = false)
    {
        var builder = await CreateBuilderAsync(dataPath, settings, cancellationToken, withDashboard);
        if (storesOnly)
        {
            // Tests of the stores themselves: the declaration's stores, none of its services.
            foreach (var project in builder.Resources.OfType<ProjectResource>().ToList())
            {
                builder.Resources.Remove(project);
            }
        }
        var app = await builder.BuildAsync(cancellationToken);
        using var startTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        startTimeout.CancelAfter(timeout ?? TimeSpan.FromMinutes(3));
        try
        {
            await app.StartAsync(startTimeout.Token);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        return new MeshAppHost(app, dataPath);
    }

    public static Task<IDistributedApplicationTestingBuilder> CreateBuilderAsync(string dataPath,
        IReadOnlyDictionary<string, string>? settings = null, CancellationToken cancellationToken = default, bool withDashboard = false)
    {
        var arguments = new Dictionary<string, string>(settings ?? new Dictionary<string, string>())
        {
            ["LocalStores:DataPath"] = dataPath,
        };
        return DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            new DistributedApplicationTestingBuilderOptions { EnableDashboard = withDashboard },
            [.. arguments.Select(a => $"--{a.Key}={a.Value}"), .. QuietLogs],
            cancellationToken);
    }

    /// <summary>The AppHost forwards every resource's console to the test output: keep warnings and errors only.</summary>
    static readonly string[] QuietLogs =
    [
        "--Logging:LogLevel:Default=Warning",
        "--Logging:LogLevel:Aspire.Hosting.Dcp=Error",
    ];

    /// <summary>Waits until each named resource reports healthy.</summary>
    public async Task WaitForHealthyAsync(TimeSpan deadline, params string[] resources)
    {
        using var timeout = new CancellationTokenSource(deadline);
        await Task.WhenAll(resources.Select(r => App.ResourceNotifications.WaitForResourceHealthyAsync(r, timeout.Token)));
    }

    /// <summary>Every declared resource (not parameters, not Aspire's hidden helpers).</summary>
    public IReadOnlyList<string> DeclaredResources =>
        App.Services.GetRequiredService<DistributedApplicationModel>().Resources
            .Where(r => r is not ParameterResource && r is not IResourceWithoutLifetime && !IsHidden(r))
            .Select(r => r.Name)
            .ToList();

    static bool IsHidden(IResource resource) =>
        resource.Name.EndsWith("-rebuilder", StringComparison.Ordinal)
        || (resource.TryGetLastAnnotation<ResourceSnapshotAnnotation>(out var snapshot) && snapshot.InitialSnapshot.IsHidden)
        || resource.Name == "aspire-dashboard";

    public Task WaitForAllHealthyAsync(TimeSpan deadline) => WaitForHealthyAsync(deadline, [.. DeclaredResources]);

    public async Task<string> GetConnectionStringAsync(string resource) =>
        await App.GetConnectionStringAsync(resource) ?? throw new InvalidOperationException($"{resource} has no connection string");

    public IResource Resource(string name) =>
        App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == name);

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
