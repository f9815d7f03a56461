using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Aspire.Hosting;

/// <summary>
/// Where Mesh's local stores keep their data: <c>.mesh/&lt;resource&gt;</c> in the repository (git-ignored), or under
/// <c>LocalStores:DataPath</c>. <c>LocalStores:Fresh=true</c> erases a store's data when the AppHost starts.
/// </summary>
static class LocalStores
{
    public const string DataPathKey = "LocalStores:DataPath";
    public const string FreshKey = "LocalStores:Fresh";

    public static string DataDirectory(IDistributedApplicationBuilder builder, string resourceName)
    {
        var root = builder.Configuration[DataPathKey] is { Length: > 0 } configured
            ? configured
            : Path.Combine(builder.AppHostDirectory, "..", ".mesh");
        return Path.GetFullPath(Path.Combine(root, resourceName));
    }

    public static bool StartFresh(IDistributedApplicationBuilder builder) =>
        builder.ExecutionContext.IsRunMode && builder.Configuration.GetValue<bool>(FreshKey);

    /// <summary>
    /// Adds a health check that resolves the resource's connection string when it first runs (the port is known only
    /// once the orchestrator allocated it) and then delegates to the store's own check.
    /// </summary>
    public static string AddHealthCheck(IDistributedApplicationBuilder builder, IResourceWithConnectionString resource,
        Func<string, IHealthCheck> create)
    {
        var key = $"{resource.Name}_check";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(key, _ => new ConnectionStringHealthCheck(resource, create),
            failureStatus: null, tags: null));
        return key;
    }

    sealed class ConnectionStringHealthCheck(IResourceWithConnectionString resource, Func<string, IHealthCheck> create) : IHealthCheck
    {
        IHealthCheck? inner;

        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            if (inner is null)
            {
                var connectionString = await resource.ConnectionStringExpression.GetValueAsync(cancellationToken);
                if (string.IsNullOrEmpty(connectionString))
                {
                    return HealthCheckResult.Unhealthy($"{resource.Name} has no connection string yet");
                }
                inner = create(connectionString);
            }
            return await inner.CheckHealthAsync(context, cancellationToken);
        }
    }
}
