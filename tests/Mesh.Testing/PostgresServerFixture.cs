using Mesh.AppHost.Stores;
using Npgsql;
using Xunit;

namespace Mesh.Testing;

/// <summary>
/// A throwaway PostgreSQL server, initialised and started the way the AppHost does it (<see cref="PostgresServer"/>,
/// as the <c>postgres</c> account when tests run as root), without fsync. Share one per test assembly; give each test
/// class its own database (<see cref="CreateDatabaseAsync"/>).
/// </summary>
public sealed class PostgresServerFixture : IAsyncLifetime
{
    readonly PostgresServer server = PostgresServer.Locate(Path.Combine(SharedTempDirectory.Get("mesh-tests"), $"postgres-{Guid.NewGuid():N}"));
    ServerProcess? process;

    public int Port { get; private set; }

    public string ServerConnectionString => server.ConnectionString("127.0.0.1", Port);

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(server.RootDirectory)!);
        await server.PrepareAsync(durable: false, CancellationToken.None);
        Port = ServerProcess.FreePort();
        var (command, arguments) = server.ServerCommand(Port, durable: false);
        process = ServerProcess.Start(command, arguments, "/");
        await process.WaitUntilReadyAsync(async cancellationToken =>
        {
            await using var connection = new NpgsqlConnection(ServerConnectionString);
            await connection.OpenAsync(cancellationToken);
            return true;
        }, TimeSpan.FromSeconds(30));
    }

    /// <summary>A new empty database; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string owner)
    {
        var prefix = new string(owner.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit).Take(30).ToArray());
        var name = $"t{prefix}_{Guid.NewGuid():N}";
        await PostgresServer.EnsureDatabaseAsync(ServerConnectionString, name, CancellationToken.None);
        return server.ConnectionString("127.0.0.1", Port, name);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (process is not null)
        {
            await process.DisposeAsync();
        }
        server.Erase();
    }
}
