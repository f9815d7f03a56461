using Mesh.Testing;
using Npgsql;
using StackExchange.Redis;

namespace Mesh.AppHost.Tests.Integration;

/// <summary>One AppHost run shared by the tests of this class.</summary>
public sealed class StoresFixture : IAsyncLifetime
{
    public MeshAppHost Mesh { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Mesh = await MeshAppHost.StartAsync(MeshAppHost.NewDataPath(), storesOnly: true);
        await Mesh.WaitForHealthyAsync(TimeSpan.FromMinutes(2), "redis", "postgres", "billingdb", "supportdb");
    }

    public async ValueTask DisposeAsync()
    {
        await Mesh.DisposeAsync();
        Directory.Delete(Mesh.DataPath, recursive: true);
    }
}

public sealed class StoresTests(StoresFixture fixture) : IClassFixture<StoresFixture>
{
    [Fact]
    public async Task Redis_from_the_injected_connection_string_writes_and_reads()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(await fixture.Mesh.GetConnectionStringAsync("redis"));
        var key = $"apphost-test:{Guid.NewGuid():N}";

        await redis.GetDatabase().StringSetAsync(key, "hello");

        Assert.Equal("hello", (string?)await redis.GetDatabase().StringGetAsync(key));
    }

    [Theory]
    [InlineData("billingdb")]
    [InlineData("supportdb")]
    public async Task Each_database_exists_and_writes_and_reads(string database)
    {
        var connectionString = await fixture.Mesh.GetConnectionStringAsync(database);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);

        await using var command = new NpgsqlCommand(
            "CREATE TABLE IF NOT EXISTS probe (v text); INSERT INTO probe VALUES ('x'); SELECT current_database(), count(*) FROM probe", connection);
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        Assert.True(await reader.ReadAsync(TestContext.Current.CancellationToken));

        Assert.Equal(database, reader.GetString(0));
        Assert.True(reader.GetInt64(1) >= 1);
    }

    [Fact]
    public async Task Postgres_runs_as_the_postgres_account_when_we_are_root()
    {
        Assert.SkipUnless(Stores.PosixAccount.CurrentIsRoot, "only as root");
        var connectionString = await fixture.Mesh.GetConnectionStringAsync("postgres");
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand("SELECT pg_backend_pid()", connection);
        var backend = (int)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;

        var owner = File.ReadLines($"/proc/{backend}/status").Single(l => l.StartsWith("Uid:", StringComparison.Ordinal));

        Assert.Equal(Stores.PosixAccount.Find("postgres")!.UserId.ToString(), owner.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1]);
    }
}
