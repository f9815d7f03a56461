using Mesh.AppHost.Stores;
using StackExchange.Redis;
using Xunit;

namespace Mesh.Testing;

/// <summary>
/// A throwaway <c>redis-server</c>, started the way the AppHost starts it (<see cref="RedisServer"/>), in a temporary
/// directory. Share one per test assembly; give each test class its own key prefix (<see cref="NewKeyPrefix"/>).
/// </summary>
public sealed class RedisServerFixture : IAsyncLifetime
{
    readonly string directory = Path.Combine(SharedTempDirectory.Get("mesh-tests"), $"redis-{Guid.NewGuid():N}");
    ServerProcess? server;
    ConnectionMultiplexer? connection;

    public int Port { get; private set; }

    public string ConnectionString => RedisServer.ConnectionString($"127.0.0.1:{Port}");

    /// <summary>The redis-server process id while it runs (the benchmark reads its CPU time).</summary>
    public int? ProcessId => server?.Id;

    /// <summary>A connection for arranging and asserting; the code under test makes its own.</summary>
    public IConnectionMultiplexer Connection => connection ?? throw new InvalidOperationException("Redis is not started");

    public static string NewKeyPrefix(string owner) => $"{owner}:{Guid.NewGuid():N}:";

    /// <summary>
    /// Whether BotService marked <paramref name="updateId"/> seen under <paramref name="keyPrefix"/>: its bit in the seen
    /// bitmap of its 65,536 ids (the layout of <c>ChatQueue.SeenUpdate</c>, for tests that do not load BotService).
    /// </summary>
    public async Task<bool> IsUpdateSeenAsync(string keyPrefix, long updateId) =>
        await Connection.GetDatabase().StringGetBitAsync(keyPrefix + "seenu:" + updateId / 65536, updateId % 65536);

    public async ValueTask InitializeAsync()
    {
        var binary = RedisServer.Binary.Locate();
        RedisServer.PrepareDataDirectory(directory, fresh: true);
        Port = ServerProcess.FreePort();
        server = ServerProcess.Start(binary, RedisServer.Arguments(Port, directory), directory);
        await server.WaitUntilReadyAsync(async _ =>
        {
            connection ??= await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{Port},abortConnect=false,connectTimeout=500");
            await connection.GetDatabase().PingAsync();
            return true;
        }, TimeSpan.FromSeconds(15));
    }

    /// <summary>Stops the server, as a crash or an outage would; <see cref="StartAgainAsync"/> brings it back on the same port with its data.</summary>
    public async Task StopAsync()
    {
        if (server is not null)
        {
            await server.DisposeAsync();
            server = null;
        }
    }

    public async Task StartAgainAsync()
    {
        await StopAsync();
        server = ServerProcess.Start(RedisServer.Binary.Locate(), RedisServer.Arguments(Port, directory), directory);
        await server.WaitUntilReadyAsync(async _ => (await Connection.GetDatabase().PingAsync()) >= TimeSpan.Zero, TimeSpan.FromSeconds(15));
    }

    public async ValueTask DisposeAsync()
    {
        if (connection is not null)
        {
            await connection.DisposeAsync();
        }
        await StopAsync();
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
