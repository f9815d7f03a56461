using System.Runtime.InteropServices;

namespace Mesh.AppHost.Stores;

/// <summary>An operating-system account (from <c>/etc/passwd</c>), for running a server as it and giving it files.</summary>
public sealed record PosixAccount(string Name, uint UserId, uint GroupId)
{
    public static bool CurrentIsRoot => Environment.IsPrivilegedProcess;

    public static PosixAccount? Find(string name)
    {
        foreach (var line in File.ReadLines("/etc/passwd"))
        {
            var fields = line.Split(':');
            if (fields.Length > 3 && fields[0] == name)
            {
                return new(name, uint.Parse(fields[2]), uint.Parse(fields[3]));
            }
        }
        return null;
    }

    /// <summary>Makes this account own the path (the caller must be root).</summary>
    public void Own(string path)
    {
        if (chown(path, UserId, GroupId) != 0)
        {
            throw new IOException($"chown {Name} {path} failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>
    /// Lets this account reach <paramref name="path"/>: every parent directory it cannot traverse gets the
    /// traverse bit for others (x, never r), so a checkout under a 0700 home still works. Returns what it changed.
    /// </summary>
    public IReadOnlyList<string> EnsureCanTraverseParentsOf(string path)
    {
        var changed = new List<string>();
        for (var dir = Path.GetDirectoryName(Path.GetFullPath(path)); !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
        {
            if (!Directory.Exists(dir))
            {
                continue;
            }
            var mode = File.GetUnixFileMode(dir);
            var canTraverse = mode.HasFlag(UnixFileMode.OtherExecute) || (mode.HasFlag(UnixFileMode.UserExecute) && OwnerOf(dir) == UserId);
            if (!canTraverse)
            {
                File.SetUnixFileMode(dir, mode | UnixFileMode.OtherExecute);
                changed.Add(dir);
            }
        }
        return changed;
    }

    static uint OwnerOf(string path) => uint.Parse(Command.Run("stat", ["-c", "%u", path]).Trim());

    [DllImport("libc", SetLastError = true)]
    static extern int chown(string path, uint owner, uint group);
}
