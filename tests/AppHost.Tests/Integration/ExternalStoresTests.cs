using Mesh.Testing;
using Npgsql;
using StackExchange.Redis;

namespace Mesh.AppHost.Tests.Integration;

/// <summary>A managed Redis or PostgreSQL given by connection string replaces the local server.</summary>
public sealed class ExternalStoresTests(RedisServerFixture redis, PostgresServerFixture postgres)
    : IClassFixture<RedisServerFixture>, IClassFixture<PostgresServerFixture>
{
    [Fact]
    public async Task Configured_connection_strings_are_used_and_no_local_server_starts()
    {
        var dataPath = MeshAppHost.NewDataPath();
        await using var mesh = await MeshAppHost.StartAsync(dataPath, new Dictionary<string, string>
        {
            ["ConnectionStrings:redis"] = redis.ConnectionString,
            ["ConnectionStrings:postgres"] = postgres.ServerConnectionString,
        }, cancellationToken: TestContext.Current.CancellationToken, storesOnly: true);

        Assert.Equal(redis.ConnectionString, await mesh.GetConnectionStringAsync("redis"));
        await using (var connection = await ConnectionMultiplexer.ConnectAsync(await mesh.GetConnectionStringAsync("redis")))
        {
            Assert.True(await connection.GetDatabase().PingAsync() >= TimeSpan.Zero);
        }
        foreach (var database in new[] { "billingdb", "supportdb" })
        {
            await using var connection = new NpgsqlConnection(await mesh.GetConnectionStringAsync(database));
            await connection.OpenAsync(TestContext.Current.CancellationToken);
            Assert.Equal(postgres.Port, new NpgsqlConnectionStringBuilder(connection.ConnectionString).Port);
            Assert.Equal(database, connection.Database);
        }
        Assert.Empty(MeshProcesses.MonitoringOrUnder(-1, dataPath));
        Assert.False(Directory.Exists(Path.Combine(dataPath, "postgres")));
    }
}
