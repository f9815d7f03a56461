using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Mesh.Gateway.Operator;

/// <summary>
/// The operator API's limit: <see cref="OperatorOptions.OperatorRateLimit"/> requests per client address in each fixed
/// <see cref="OperatorOptions.OperatorRateWindow"/>, whatever their outcome (so guessing tokens is limited too); past it,
/// 429 with <c>Retry-After</c>. No timer: a window is checked and restarted by the requests themselves, and ended windows
/// are swept when the table grows, at most four times a window however many clients there are. An IPv6 client counts
/// by its /64 (one host's share of addresses: anyone with one has 2^64 of them). (ASP.NET Core's partitioned rate limiter keeps a 100 ms heartbeat for as long as the
/// process runs: ten wake-ups a second of an otherwise idle gateway, for an API used a few times a minute.)
/// </summary>
public sealed class OperatorRateLimiter(IOptions<OperatorOptions> options, TimeProvider clock)
{
    const int SweepAbove = 1024;

    readonly ConcurrentDictionary<string, Window> windows = new(StringComparer.Ordinal);
    int sweeping;
    long sweptAt = long.MinValue / 2;

    sealed class Window
    {
        public long Start;
        public int Count;
    }

    /// <summary>Client addresses with a window in the table (tests).</summary>
    internal int ClientCount => windows.Count;

    /// <summary>Counts a request of <paramref name="client"/>: null when allowed, else how long until its window ends.</summary>
    public TimeSpan? TryAcquire(string client)
    {
        var settings = options.Value;
        var length = settings.OperatorRateWindow.Ticks;
        var now = clock.GetUtcNow().UtcTicks;
        // The time first: a ConcurrentDictionary's Count takes all its locks.
        if (now - Volatile.Read(ref sweptAt) >= length / 4 && windows.Count > SweepAbove)
        {
            Sweep(now, length);
        }
        var window = windows.GetOrAdd(client, static (_, start) => new Window { Start = start }, now);
        lock (window)
        {
            if (now - window.Start >= length)
            {
                window.Start = now;
                window.Count = 0;
            }
            if (window.Count >= settings.OperatorRateLimit)
            {
                return TimeSpan.FromTicks(window.Start + length - now);
            }
            window.Count++;
            return null;
        }
    }

    void Sweep(long now, long length)
    {
        if (Interlocked.Exchange(ref sweeping, 1) == 1)
        {
            return;
        }
        try
        {
            Volatile.Write(ref sweptAt, now);
            foreach (var (client, window) in windows)
            {
                if (now - Volatile.Read(ref window.Start) >= length)
                {
                    windows.TryRemove(client, out _);
                }
            }
        }
        finally
        {
            Volatile.Write(ref sweeping, 0);
        }
    }

    /// <summary>The key a request is counted under: an IPv4 address, or an IPv6 address's /64.</summary>
    public static string ClientOf(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4().ToString();
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes).ToString() + "/64";
    }

    /// <summary>Limits every request under <paramref name="prefix"/> (before authentication runs); the rest pass untouched.</summary>
    public static void Use(WebApplication app, PathString prefix)
    {
        var limiter = app.Services.GetRequiredService<OperatorRateLimiter>();
        app.Use((context, next) =>
        {
            if (!context.Request.Path.StartsWithSegments(prefix)
                || limiter.TryAcquire(ClientOf(context.Connection.RemoteIpAddress)) is not { } wait)
            {
                return next(context);
            }
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            context.Response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            return Task.CompletedTask;
        });
    }
}
