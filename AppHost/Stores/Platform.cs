// Mesh runs its local stores from Linux server packages (Debian's redis-server and postgresql).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
