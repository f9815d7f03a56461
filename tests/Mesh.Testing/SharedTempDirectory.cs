namespace Mesh.Testing;

/// <summary>
/// A directory under the temp path that every account's test runs share (<c>mesh-tests</c>: the servers' data,
/// <c>mesh-test-ports</c>: port reservations): made like <c>/tmp</c> itself, writable by all with the sticky bit, so a run
/// as another user after a root run can still use it.
/// </summary>
public static class SharedTempDirectory
{
    const UnixFileMode Shared = UnixFileMode.StickyBit
        | UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>The full path of the shared directory <paramref name="name"/>, made (or opened up, when ours) first.</summary>
    public static string Get(string name)
    {
        var path = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), name)).FullName;
        if (!OperatingSystem.IsWindows() && File.GetUnixFileMode(path) != Shared)
        {
            try
            {
                File.SetUnixFileMode(path, Shared);
            }
            catch (UnauthorizedAccessException)
            {
                // Another account's, not opened up: nothing more to do from here.
            }
        }
        return path;
    }
}
