using System.Diagnostics;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

/// <summary>Says on the console, once, when every declared resource is running and healthy, and how long it took.</summary>
public static class ReadinessReport
{
    public static IDistributedApplicationBuilder AddReadinessReport(this IDistributedApplicationBuilder builder)
    {
        builder.Eventing.Subscribe<BeforeStartEvent>((@event, _) =>
        {
            var logger = @event.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Mesh.AppHost");
            var resources = @event.Model.Resources
                .Where(r => r is not ParameterResource && r is not IResourceWithoutLifetime && !r.Name.EndsWith("-rebuilder", StringComparison.Ordinal))
                .ToList();
            var pending = resources.Select(r => r.Name).ToHashSet();
            foreach (var resource in resources)
            {
                builder.Eventing.Subscribe<ResourceReadyEvent>(resource, (ready, _) =>
                {
                    logger.LogDebug("{Resource} ready at {Seconds:F1} s", ready.Resource.Name, (DateTime.Now - Process.GetCurrentProcess().StartTime).TotalSeconds);
                    lock (pending)
                    {
                        if (pending.Remove(ready.Resource.Name) && pending.Count == 0)
                        {
                            var elapsed = DateTime.Now - Process.GetCurrentProcess().StartTime;
                            logger.LogInformation("All {Count} resources are healthy, {Seconds:F1} s after the AppHost started",
                                resources.Count, elapsed.TotalSeconds);
                        }
                    }
                    return Task.CompletedTask;
                });
            }
            return Task.CompletedTask;
        });
        return builder;
    }
}
