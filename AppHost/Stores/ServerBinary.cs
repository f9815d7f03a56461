namespace Mesh.AppHost.Stores;

/// <summary>A store's server program on this machine, and the one line that installs it when it is missing.</summary>
public sealed record ServerBinary(string Name, string DebianPackage)
{
    public string InstallCommand => $"sudo apt-get install -y {DebianPackage}";

    /// <summary>
    /// The full path of the program: the configured path when one is given, else the first match on PATH, else in
    /// the extra directories (Debian keeps PostgreSQL's programs in <c>/usr/lib/postgresql/&lt;version&gt;/bin</c>).
    /// </summary>
    public string Locate(string? configuredPath = null, IEnumerable<string>? extraDirectories = null)
    {
        if (!string.IsNullOrWhiteSpace(configuredPath))
        {
            return IsExecutable(configuredPath) ? Path.GetFullPath(configuredPath) : throw Missing(configuredPath);
        }
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        var candidates = path.Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(extraDirectories ?? []);
        foreach (var directory in candidates)
        {
            var candidate = Path.Combine(directory, Name);
            if (IsExecutable(candidate))
            {
                return candidate;
            }
        }
        throw Missing(null);
    }

    MissingServerBinaryException Missing(string? configuredPath) => new(configuredPath is null
        ? $"{Name} is not installed; install it with: {InstallCommand}"
        : $"{Name} was not found at {configuredPath}; install it with: {InstallCommand}");

    static bool IsExecutable(string path) =>
        File.Exists(path) && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
}

/// <summary>A store's server program is missing; the message is one line that names the install command.</summary>
public sealed class MissingServerBinaryException(string message) : Exception(message);
