using System.Security.Cryptography;
using Npgsql;

namespace Mesh.AppHost.Stores;

/// <summary>
/// How Mesh runs PostgreSQL from the machine's own binaries: one directory holds the cluster (<c>data/</c>), the
/// socket (<c>run/</c>) and the superuser's password. PostgreSQL refuses to run as root, so when we are root the
/// server runs as the <c>postgres</c> account, which then owns the directory.
/// </summary>
public sealed class PostgresServer
{
    public const string SuperUser = "postgres";
    public const string OsAccountName = "postgres";
    public static readonly ServerBinary Server = new("postgres", "postgresql");
    public static readonly ServerBinary InitDb = new("initdb", "postgresql");
    static readonly ServerBinary SetPriv = new("setpriv", "util-linux");

    PostgresServer(string rootDirectory, string serverPath, string initDbPath)
    {
        RootDirectory = Path.GetFullPath(rootDirectory);
        ServerPath = serverPath;
        InitDbPath = initDbPath;
    }

    public string RootDirectory { get; }
    public string DataDirectory => Path.Combine(RootDirectory, "data");
    public string SocketDirectory => Path.Combine(RootDirectory, "run");
    string PasswordFile => Path.Combine(RootDirectory, "password");
    public string ServerPath { get; }
    public string InitDbPath { get; }

    /// <summary>Finds <c>postgres</c> and <c>initdb</c> (PATH, then Debian's versioned directories, newest first).</summary>
    public static PostgresServer Locate(string rootDirectory, string? configuredServerPath = null)
    {
        var server = Server.Locate(configuredServerPath, DebianBinDirectories());
        var initDb = InitDb.Locate(null, [Path.GetDirectoryName(server)!, .. DebianBinDirectories()]);
        return new(rootDirectory, server, initDb);
    }

    static IEnumerable<string> DebianBinDirectories() =>
        Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var version) ? version : 0)
                .Select(d => Path.Combine(d, "bin"))
            : [];

    /// <summary>The account the server runs as: <c>postgres</c> when we are root, else ourselves (null).</summary>
    static PosixAccount? RunAs => PosixAccount.CurrentIsRoot
        ? PosixAccount.Find(OsAccountName) ?? throw new InvalidOperationException(
            $"PostgreSQL refuses to run as root and there is no '{OsAccountName}' account; install it with: {Server.InstallCommand}")
        : null;

    /// <summary>
    /// The superuser's password: generated on first use and kept beside the data (the cluster fixes it at initdb),
    /// so a persistent data directory keeps working across restarts.
    /// </summary>
    public string Password()
    {
        Directory.CreateDirectory(RootDirectory);
        if (!File.Exists(PasswordFile))
        {
            File.WriteAllText(PasswordFile, Convert.ToHexString(RandomNumberGenerator.GetBytes(18)).ToLowerInvariant());
            File.SetUnixFileMode(PasswordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return File.ReadAllText(PasswordFile).Trim();
    }

    /// <summary>Deletes everything: the next start is a new, empty cluster with a new password.</summary>
    public void Erase()
    {
        if (Directory.Exists(RootDirectory))
        {
            Directory.Delete(RootDirectory, recursive: true);
        }
    }

    /// <summary>
    /// Makes the directories, hands them to the server's account, lets that account reach them, and runs initdb when
    /// the cluster does not exist yet. Returns a line per change made outside the directory (for the log).
    /// </summary>
    public async Task<IReadOnlyList<string>> PrepareAsync(bool durable, CancellationToken cancellationToken)
    {
        var password = Password();
        var account = RunAs;
        Directory.CreateDirectory(DataDirectory);
        Directory.CreateDirectory(SocketDirectory);
        const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        File.SetUnixFileMode(DataDirectory, OwnerOnly);
        File.SetUnixFileMode(SocketDirectory, OwnerOnly);
        var changes = new List<string>();
        if (account is not null)
        {
            foreach (var directory in account.EnsureCanTraverseParentsOf(DataDirectory))
            {
                changes.Add($"gave others the traverse bit on {directory} so that the '{account.Name}' account reaches its data");
            }
            account.Own(RootDirectory);
            account.Own(DataDirectory);
            account.Own(SocketDirectory);
        }
        if (File.Exists(Path.Combine(DataDirectory, "PG_VERSION")))
        {
            return changes;
        }

        var passwordFile = Path.Combine(RootDirectory, "initdb.pw");
        await File.WriteAllTextAsync(passwordFile, password, cancellationToken);
        File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        account?.Own(passwordFile);
        try
        {
            List<string> arguments =
            [
                "-D", DataDirectory, "-U", SuperUser, $"--pwfile={passwordFile}", "--auth=scram-sha-256",
                "--encoding=UTF8", "--no-locale", "--no-instructions",
            ];
            if (!durable)
            {
                arguments.Add("--no-sync");
            }
            var (command, prefix) = AsServerAccount(InitDbPath, account);
            await Command.RunAsync(command, [.. prefix.Cast<string>(), .. arguments], null, cancellationToken);
        }
        finally
        {
            File.Delete(passwordFile);
        }
        return changes;
    }

    /// <summary>
    /// The program and arguments that run the server in the foreground. <paramref name="port"/> is a number or, in the
    /// AppHost, Aspire's reference to the port it allocates. Not durable (tests): no fsync.
    /// </summary>
    public (string FileName, object[] Arguments) ServerCommand(object port, bool durable)
    {
        var (command, prefix) = AsServerAccount(ServerPath, RunAs);
        List<object> arguments =
        [
            .. prefix,
            "-D", DataDirectory,
            "-p", port,
            "-k", SocketDirectory,
            "-c", "listen_addresses=127.0.0.1",
            "-c", "max_connections=200",
        ];
        if (!durable)
        {
            arguments.AddRange(["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]);
        }
        return (command, arguments.ToArray());
    }

    /// <summary>
    /// <c>setpriv</c> execs the program as the account (same process, so signals reach the server itself).
    /// </summary>
    static (string Command, object[] Prefix) AsServerAccount(string program, PosixAccount? account) =>
        account is null
            ? (program, [])
            : (SetPriv.Locate(), [$"--reuid={account.UserId}", $"--regid={account.GroupId}", "--init-groups", "--", program]);

    public string ConnectionString(string host, int port, string? database = null) =>
        new NpgsqlConnectionStringBuilder { Host = host, Port = port, Username = SuperUser, Password = Password(), Database = database }
            .ConnectionString;

    /// <summary>Creates the database unless it exists.</summary>
    public static async Task EnsureDatabaseAsync(string serverConnectionString, string database, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(serverConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @name", connection);
        exists.Parameters.AddWithValue("name", database);
        if (await exists.ExecuteScalarAsync(cancellationToken) is not null)
        {
            return;
        }
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database.Replace("\"", "\"\"")}\"", connection);
        try
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
        {
            // Created by a concurrent caller: what we wanted.
        }
    }
}
