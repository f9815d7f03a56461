using Aspire.Hosting.ApplicationModel;
using HealthChecks.NpgSql;
using Mesh.AppHost.Stores;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

/// <summary>PostgreSQL run from the machine's binaries as an executable (as the <c>postgres</c> account when we are root).</summary>
public sealed class LocalPostgresResource(string name, string command, PostgresServer server)
    : ExecutableResource(name, command, server.RootDirectory), IResourceWithConnectionString
{
    public const string EndpointName = "tcp";

    public PostgresServer Server { get; } = server;

    public EndpointReference PrimaryEndpoint => field ??= new(this, EndpointName);

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={PrimaryEndpoint.Property(EndpointProperty.Host)};Port={PrimaryEndpoint.Property(EndpointProperty.Port)};Username={PostgresServer.SuperUser};Password={Server.Password()}");

    internal List<LocalPostgresDatabaseResource> Databases { get; } = [];
}

/// <summary>A database of a local PostgreSQL server, created when the server is first ready.</summary>
public sealed class LocalPostgresDatabaseResource(string name, string databaseName, LocalPostgresResource parent)
    : Resource(name), IResourceWithParent<LocalPostgresResource>, IResourceWithConnectionString
{
    public string DatabaseName { get; } = databaseName;

    public LocalPostgresResource Parent { get; } = parent;

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{Parent.ConnectionStringExpression};Database={DatabaseName}");
}

public static class LocalPostgresBuilder
{
    /// <summary>
    /// A local PostgreSQL server: <c>initdb</c> on first run, data in <c>.mesh/</c>, a port Aspire allocates, a stable
    /// generated password, healthy once it accepts a connection.
    /// </summary>
    public static PostgresDeclaration AddLocalPostgres(this IDistributedApplicationBuilder builder, string name) =>
        string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(name))
            ? new(builder.AddLocalPostgresServer(name), null)
            : new(null, builder.AddConnectionString(name));

    static IResourceBuilder<LocalPostgresResource> AddLocalPostgresServer(this IDistributedApplicationBuilder builder, string name)
    {
        var server = PostgresServer.Locate(LocalStores.DataDirectory(builder, name), builder.Configuration["LocalStores:PostgresPath"]);
        if (LocalStores.StartFresh(builder))
        {
            server.Erase();
        }
        var (command, arguments) = server.ServerCommand("{port}", durable: true);
        var postgres = new LocalPostgresResource(name, command, server);
        var healthCheck = LocalStores.AddHealthCheck(builder, postgres,
            connectionString => new NpgSqlHealthCheck(new NpgSqlHealthCheckOptions(connectionString)));

        return builder.AddResource(postgres)
            .WithEndpoint(name: LocalPostgresResource.EndpointName, scheme: "tcp")
            .WithArgs(context =>
            {
                var port = postgres.PrimaryEndpoint.Property(EndpointProperty.TargetPort);
                foreach (var argument in arguments)
                {
                    context.Args.Add(argument is "{port}" ? port : argument);
                }
            })
            .OnBeforeResourceStarted(async (resource, @event, cancellationToken) =>
            {
                var logger = @event.Services.GetRequiredService<ResourceLoggerService>().GetLogger(resource);
                foreach (var change in await resource.Server.PrepareAsync(durable: true, cancellationToken))
                {
                    logger.LogWarning("{Change}", change);
                }
            })
            .OnResourceReady(async (resource, @event, cancellationToken) =>
            {
                var connectionString = await resource.ConnectionStringExpression.GetValueAsync(cancellationToken)
                    ?? throw new InvalidOperationException($"{resource.Name} has no connection string");
                var notifications = @event.Services.GetRequiredService<ResourceNotificationService>();
                foreach (var database in resource.Databases)
                {
                    await PostgresServer.EnsureDatabaseAsync(connectionString, database.DatabaseName, cancellationToken);
                    await notifications.PublishUpdateAsync(database, s => s with
                    {
                        State = KnownResourceStates.Running,
                        StartTimeStamp = s.StartTimeStamp ?? DateTime.UtcNow,
                    });
                }
            })
            .WithHealthCheck(healthCheck);
    }

    /// <summary>
    /// A database on a server given by its connection string (a managed PostgreSQL): the server's connection string
    /// with <c>Database=</c>; created at start when the server lets us, else expected to exist.
    /// </summary>
    internal static IResourceBuilder<IResourceWithConnectionString> AddDatabase(this IResourceBuilder<IResourceWithConnectionString> server,
        string name, string databaseName)
    {
        var builder = server.ApplicationBuilder;
        builder.Eventing.Subscribe<BeforeStartEvent>(async (@event, cancellationToken) =>
        {
            var connectionString = await server.Resource.ConnectionStringExpression.GetValueAsync(cancellationToken);
            try
            {
                await PostgresServer.EnsureDatabaseAsync(connectionString!, databaseName, cancellationToken);
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or InvalidOperationException)
            {
                @event.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Mesh.AppHost")
                    .LogWarning("Could not create database {Database} on {Server} ({Error}); it must exist", databaseName, server.Resource.Name, e.Message);
            }
        });
        return builder.AddConnectionString(name, ReferenceExpression.Create($"{server.Resource.ConnectionStringExpression};Database={databaseName}"));
    }

    /// <summary>
    /// A database on the server. Aspire passes a parent's state to its children only for containers, so the server's
    /// state is mirrored onto the database here; it becomes Running once the database exists.
    /// </summary>
    public static IResourceBuilder<LocalPostgresDatabaseResource> AddDatabase(this IResourceBuilder<LocalPostgresResource> server,
        string name, string? databaseName = null)
    {
        var builder = server.ApplicationBuilder;
        var database = new LocalPostgresDatabaseResource(name, databaseName ?? name, server.Resource);
        server.Resource.Databases.Add(database);
        var healthCheck = LocalStores.AddHealthCheck(builder, database,
            connectionString => new NpgSqlHealthCheck(new NpgSqlHealthCheckOptions(connectionString)));

        builder.Eventing.Subscribe<BeforeStartEvent>((@event, cancellationToken) =>
        {
            var notifications = @event.Services.GetRequiredService<ResourceNotificationService>();
            var stopping = @event.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            _ = MirrorServerStateAsync(notifications, database, stopping);
            return Task.CompletedTask;
        });

        return builder.AddResource(database)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "PostgresDatabase",
                State = KnownResourceStates.Waiting,
                Properties = [new("postgres.database", database.DatabaseName)],
            })
            .WithHealthCheck(healthCheck);
    }

    static async Task MirrorServerStateAsync(ResourceNotificationService notifications, LocalPostgresDatabaseResource database,
        CancellationToken stopping)
    {
        try
        {
            await foreach (var update in notifications.WatchAsync(stopping))
            {
                if (update.Resource != database.Parent)
                {
                    continue;
                }
                var state = update.Snapshot.State?.Text;
                // Running is published by the server's ready handler, once the database exists.
                if (state is not null && state != KnownResourceStates.Running)
                {
                    await notifications.PublishUpdateAsync(database, s => s with
                    {
                        State = update.Snapshot.State,
                        StopTimeStamp = update.Snapshot.StopTimeStamp,
                        ExitCode = update.Snapshot.ExitCode,
                    });
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}

/// <summary>
/// PostgreSQL for the mesh: a local server (<see cref="Local"/>), or the server of <c>ConnectionStrings:&lt;name&gt;</c>
/// when the AppHost's configuration has one. Its databases are declared the same way in both cases.
/// </summary>
public sealed class PostgresDeclaration(IResourceBuilder<LocalPostgresResource>? local, IResourceBuilder<IResourceWithConnectionString>? external)
{
    public IResourceBuilder<LocalPostgresResource>? Local { get; } = local;

    public IResourceBuilder<IResourceWithConnectionString> Server =>
        (IResourceBuilder<IResourceWithConnectionString>?)Local ?? external!;

    /// <summary>
    /// A database: <c>ConnectionStrings:&lt;name&gt;</c> when configured, else one created on the server.
    /// </summary>
    public IResourceBuilder<IResourceWithConnectionString> AddDatabase(string name, string? databaseName = null)
    {
        var builder = Server.ApplicationBuilder;
        if (!string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(name)))
        {
            return builder.AddConnectionString(name);
        }
        return Local is not null
            ? Local.AddDatabase(name, databaseName)
            : external!.AddDatabase(name, databaseName ?? name);
    }
}
