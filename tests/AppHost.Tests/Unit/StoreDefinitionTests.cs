using Mesh.AppHost.Stores;
using Mesh.Testing;

namespace Mesh.AppHost.Tests.Unit;

public sealed class StoreDefinitionTests
{
    [Fact]
    public void Redis_runs_on_loopback_with_the_append_only_file_in_its_data_directory()
    {
        var arguments = RedisServer.Arguments(6390, "/data/redis").Select(a => a.ToString()).ToList();

        Assert.Equal("6390", arguments[arguments.IndexOf("--port") + 1]);
        Assert.Equal("127.0.0.1", arguments[arguments.IndexOf("--bind") + 1]);
        Assert.Equal("/data/redis", arguments[arguments.IndexOf("--dir") + 1]);
        Assert.Equal("yes", arguments[arguments.IndexOf("--appendonly") + 1]);
    }

    [Fact]
    public void Missing_binary_message_is_one_line_with_the_install_command()
    {
        var error = Assert.Throws<MissingServerBinaryException>(() => RedisServer.Binary.Locate("/nonexistent/redis-server"));

        Assert.Equal("redis-server was not found at /nonexistent/redis-server; install it with: sudo apt-get install -y redis-server", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Binary_not_on_path_names_its_debian_package()
    {
        var binary = new ServerBinary("mesh-no-such-server", "mesh-no-such-package");

        var error = Assert.Throws<MissingServerBinaryException>(() => binary.Locate());

        Assert.Equal("mesh-no-such-server is not installed; install it with: sudo apt-get install -y mesh-no-such-package", error.Message);
    }

    [Fact]
    public void Postgres_listens_on_loopback_with_its_socket_beside_the_data()
    {
        var server = PostgresServer.Locate("/data/postgres");

        var (command, arguments) = server.ServerCommand(5433, durable: true);
        var text = arguments.Select(a => a.ToString()).ToList();

        Assert.Equal("5433", text[text.IndexOf("-p") + 1]);
        Assert.Equal("/data/postgres/data", text[text.IndexOf("-D") + 1]);
        Assert.Equal("/data/postgres/run", text[text.IndexOf("-k") + 1]);
        Assert.Contains("listen_addresses=127.0.0.1", text);
        Assert.DoesNotContain("fsync=off", text);
        if (PosixAccount.CurrentIsRoot)
        {
            Assert.EndsWith("setpriv", command);
            Assert.Equal(server.ServerPath, text[text.IndexOf("--") + 1]);
        }
        else
        {
            Assert.Equal(server.ServerPath, command);
        }
    }

    [Fact]
    public void Postgres_password_is_generated_once_and_kept()
    {
        var root = Path.Combine(SharedTempDirectory.Get("mesh-tests"), $"pw-{Guid.NewGuid():N}");
        var server = PostgresServer.Locate(root);
        try
        {
            var first = server.Password();

            Assert.Equal(36, first.Length);
            Assert.Equal(first, PostgresServer.Locate(root).Password());
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(root, "password")));
        }
        finally
        {
            server.Erase();
        }
    }

    [Fact]
    public void Server_account_gets_the_traverse_bit_on_a_closed_parent_and_nothing_more()
    {
        var account = PosixAccount.Find("postgres");
        Assert.SkipWhen(account is null || !PosixAccount.CurrentIsRoot, "needs root and a postgres account");
        // Its parents open already (whatever the umask or the tests before made them), so that only the closed one is changed.
        var parent = SharedTempDirectory.Get("mesh-tests");
        Directory.CreateDirectory(parent);
        account!.EnsureCanTraverseParentsOf(Path.Combine(parent, "x"));
        var closed = Path.Combine(parent, $"home-{Guid.NewGuid():N}");
        Directory.CreateDirectory(closed);
        File.SetUnixFileMode(closed, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            var changed = account!.EnsureCanTraverseParentsOf(Path.Combine(closed, "repo", ".mesh", "postgres", "data"));

            Assert.Equal([closed], changed);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherExecute,
                File.GetUnixFileMode(closed));
            Assert.Empty(account.EnsureCanTraverseParentsOf(Path.Combine(closed, "repo", ".mesh", "postgres", "data")));
        }
        finally
        {
            Directory.Delete(closed, recursive: true);
        }
    }
}
