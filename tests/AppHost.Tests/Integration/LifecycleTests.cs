using Mesh.Testing;
using Npgsql;
using StackExchange.Redis;

namespace Mesh.AppHost.Tests.Integration;

public sealed class LifecycleTests
{
    static readonly string[] Stores = ["redis", "postgres", "billingdb", "supportdb"];

    [Fact]
    public async Task Data_survives_a_restart_the_fresh_switch_empties_it_and_nothing_is_left_running()
    {
        var dataPath = MeshAppHost.NewDataPath();
        var key = $"survivor:{Guid.NewGuid():N}";
        try
        {
            await using (var first = await StartHealthyAsync(dataPath))
            {
                await using var redis = await ConnectionMultiplexer.ConnectAsync(await first.GetConnectionStringAsync("redis"));
                await redis.GetDatabase().StringSetAsync(key, "kept");
                await ExecuteAsync(first, "billingdb", "CREATE TABLE survivor (v text); INSERT INTO survivor VALUES ('kept')");
                // Redis writes its append-only file once a second.
                await redis.GetDatabase().ExecuteAsync("BGREWRITEAOF");
                await WaitForAsync(async () => (await redis.GetDatabase().ExecuteAsync("INFO", "persistence")).ToString().Contains("aof_rewrite_in_progress:0"));
            }
            await AssertNothingLeftAsync(dataPath);

            await using (var second = await StartHealthyAsync(dataPath))
            {
                await using var redis = await ConnectionMultiplexer.ConnectAsync(await second.GetConnectionStringAsync("redis"));
                Assert.Equal("kept", (string?)await redis.GetDatabase().StringGetAsync(key));
                Assert.Equal("kept", await ExecuteAsync(second, "billingdb", "SELECT v FROM survivor"));
            }
            await AssertNothingLeftAsync(dataPath);

            await using (var fresh = await StartHealthyAsync(dataPath, new Dictionary<string, string> { ["LocalStores:Fresh"] = "true" }))
            {
                await using var redis = await ConnectionMultiplexer.ConnectAsync(await fresh.GetConnectionStringAsync("redis"));
                Assert.False(await redis.GetDatabase().KeyExistsAsync(key));
                Assert.Null(await ExecuteAsync(fresh, "billingdb", "SELECT to_regclass('survivor')::text"));
            }
            await AssertNothingLeftAsync(dataPath);
        }
        finally
        {
            if (Directory.Exists(dataPath))
            {
                Directory.Delete(dataPath, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Missing_server_binary_stops_start_up_with_the_install_command()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            var builder = await MeshAppHost.CreateBuilderAsync(MeshAppHost.NewDataPath(),
                new Dictionary<string, string> { ["LocalStores:RedisServerPath"] = "/nonexistent/redis-server" },
                TestContext.Current.CancellationToken);
            await using var app = await builder.BuildAsync(TestContext.Current.CancellationToken);
        });

        var missing = error as Stores.MissingServerBinaryException ?? error.InnerException as Stores.MissingServerBinaryException;
        Assert.NotNull(missing);
        Assert.Contains("sudo apt-get install -y redis-server", missing.Message);
    }

    static async Task<MeshAppHost> StartHealthyAsync(string dataPath, IReadOnlyDictionary<string, string>? settings = null)
    {
        var mesh = await MeshAppHost.StartAsync(dataPath, settings, cancellationToken: TestContext.Current.CancellationToken, storesOnly: true);
        await mesh.WaitForHealthyAsync(TimeSpan.FromMinutes(2), Stores);
        return mesh;
    }

    static async Task AssertNothingLeftAsync(string dataPath)
    {
        var left = await MeshProcesses.WaitUntilGoneAsync(Environment.ProcessId, dataPath, TimeSpan.FromSeconds(30));
        Assert.True(left.Count == 0, $"left running: {string.Join("; ", left.Select(p => $"{p.Id} {p.CommandLine}"))}");
    }

    static async Task<string?> ExecuteAsync(MeshAppHost mesh, string database, string sql)
    {
        await using var connection = new NpgsqlConnection(await mesh.GetConnectionStringAsync(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        var result = await command.ExecuteScalarAsync();
        return result is null or DBNull ? null : result.ToString();
    }

    static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        var until = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < until, "condition not met within 10 s");
            await Task.Delay(50);
        }
    }
}
