namespace Mesh.AppHost.Stores;

/// <summary>How Mesh runs <c>redis-server</c>: loopback only, append-only file on, data in one directory.</summary>
public static class RedisServer
{
    public static readonly ServerBinary Binary = new("redis-server", "redis-server");

    /// <summary>
    /// The server's arguments. <paramref name="port"/> is a port number or, in the AppHost, Aspire's reference to the
    /// port it allocates.
    /// </summary>
    public static object[] Arguments(object port, string dataDirectory) =>
    [
        "--port", port,
        "--bind", "127.0.0.1",
        "--dir", dataDirectory,
        "--appendonly", "yes",
        "--appendfsync", "everysec",
        "--save", "",
        "--daemonize", "no",
        "--loglevel", "warning",
    ];

    public static string PrepareDataDirectory(string dataDirectory, bool fresh)
    {
        if (fresh && Directory.Exists(dataDirectory))
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
        return Directory.CreateDirectory(dataDirectory).FullName;
    }

    public static string ConnectionString(string hostAndPort) => $"{hostAndPort},abortConnect=false";
}
