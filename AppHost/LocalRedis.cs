using Aspire.Hosting.ApplicationModel;
using HealthChecks.Redis;
using Mesh.AppHost.Stores;
using Microsoft.Extensions.Configuration;
using StackExchange.Redis;

namespace Aspire.Hosting;

/// <summary>Redis run from the machine's <c>redis-server</c> as an executable (no container engine needed).</summary>
public sealed class LocalRedisResource(string name, string command, string dataDirectory)
    : ExecutableResource(name, command, dataDirectory), IResourceWithConnectionString
{
    public const string EndpointName = "tcp";

    public string DataDirectory { get; } = dataDirectory;

    public EndpointReference PrimaryEndpoint => field ??= new(this, EndpointName);

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{PrimaryEndpoint.Property(EndpointProperty.HostAndPort)},abortConnect=false");
}

public static class LocalRedisBuilder
{
    /// <summary>
    /// Redis for the mesh: the connection string <c>ConnectionStrings:&lt;name&gt;</c> when the AppHost's configuration
    /// has one (a managed Redis), else a local <c>redis-server</c> on a port Aspire allocates, data in <c>.mesh/</c>,
    /// healthy once it answers PING.
    /// </summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddLocalRedis(this IDistributedApplicationBuilder builder, string name)
    {
        if (!string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(name)))
        {
            return builder.AddConnectionString(name);
        }

        var binary = RedisServer.Binary.Locate(builder.Configuration["LocalStores:RedisServerPath"]);
        var dataDirectory = LocalStores.DataDirectory(builder, name);
        RedisServer.PrepareDataDirectory(dataDirectory, fresh: LocalStores.StartFresh(builder));
        var redis = new LocalRedisResource(name, binary, dataDirectory);
        var healthCheck = LocalStores.AddHealthCheck(builder, redis, connectionString => new RedisHealthCheck(connectionString));

        return builder.AddResource(redis)
            .WithEndpoint(name: LocalRedisResource.EndpointName, scheme: "tcp")
            .WithArgs(context =>
            {
                foreach (var argument in RedisServer.Arguments(redis.PrimaryEndpoint.Property(EndpointProperty.TargetPort), dataDirectory))
                {
                    context.Args.Add(argument);
                }
            })
            .OnBeforeResourceStarted((resource, _, _) =>
            {
                Directory.CreateDirectory(resource.DataDirectory);
                return Task.CompletedTask;
            })
            .WithHealthCheck(healthCheck);
    }
}
