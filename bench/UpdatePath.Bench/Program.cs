using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Mesh.Testing;
using Mesh.Testing.Services;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

// The update-path benchmark (issue 9): webhook senders → Gateway → BotService → Redis → workers → sendMessage to a sink
// Bot API, against a bare Kestrel 200 endpoint as the ceiling. Usage: dotnet run -c Release --project bench/UpdatePath.Bench -- [--seconds 60] [--idle-seconds 60] [--senders 40,100] [--chats 1000]

var seconds = Arg("--seconds", 60);
var idleSeconds = Arg("--idle-seconds", 60);
var chats = Arg("--chats", 1000);
var senderCounts = (ArgText("--senders") ?? "40,100").Split(',').Select(int.Parse).ToArray();
var duration = TimeSpan.FromSeconds(seconds);

Console.WriteLine($"Update-path benchmark: {duration.TotalSeconds} s per run, senders {string.Join('/', senderCounts)}, {chats} chats, {Environment.ProcessorCount} cores, services from {Path.GetDirectoryName(ServiceHost.DllOf("BotService"))}");

await using var redis = new RedisServerFixture();
await redis.InitializeAsync();
await using var mesh = await UpdatePathHost.StartAsync(redis.ConnectionString, RedisServerFixture.NewKeyPrefix("bench"), new Dictionary<string, string?>
{
    ["Bot:LeaseDuration"] = "00:00:30",
    ["Bot:MaxAttempts"] = "5",
    ["Bot:IdlePollInterval"] = "00:00:05",
    ["Telegram:PerChatPerSecond"] = "0",
    ["Telegram:GlobalPerSecond"] = "0",
}, sink: true);
await using var ceiling = await BareEndpoint.StartAsync();

var results = new List<(int Senders, Run Ceiling, Run Mesh)>();
long nextUpdateId = 1;
foreach (var senders in senderCounts)
{
    var bare = await Load.RunAsync(ceiling.Url, senders, duration, chats, () => Interlocked.Increment(ref nextUpdateId), secret: null);
    var sentBefore = mesh.Telegram.DeliveredCount;
    var run = await Load.RunAsync(mesh.WebhookUrl, senders, duration, chats, () => Interlocked.Increment(ref nextUpdateId), UpdatePathHost.Secret);
    // Wait for every reply (or give up after a minute): the sustained rate counts the backlog.
    var target = sentBefore + senders + run.Acked; // the warm-up posts (one per sender) are answered too
    var until = DateTime.UtcNow.AddSeconds(60);
    while (mesh.Telegram.DeliveredCount < target && DateTime.UtcNow < until)
    {
        await Task.Delay(5);
    }
    var lastReply = Stopwatch.GetTimestamp();
    var delivered = mesh.Telegram.DeliveredCount - sentBefore - senders;
    run = run with { Replies = delivered, SustainedPerSecond = run.Sent / Stopwatch.GetElapsedTime(run.FirstSend, lastReply).TotalSeconds };
    results.Add((senders, bare with { SustainedPerSecond = bare.AcksPerSecond, Replies = bare.Acked }, run));
}

var rssGateway = Rss(mesh.Gateway.ProcessId);
var rssBot = Rss(mesh.Bots[0].ProcessId);
GC.Collect();
var ceilingRss = Rss(Environment.ProcessId);
Console.WriteLine($"Measuring idle CPU over {idleSeconds} s …");
var (cpuGateway, cpuBot) = await IdleCpuAsync(mesh.Gateway.ProcessId, mesh.Bots[0].ProcessId, TimeSpan.FromSeconds(idleSeconds));

Console.WriteLine();
foreach (var (senders, bare, run) in results)
{
    Console.WriteLine($"── {senders} concurrent senders ──────────────────────────────────────────────");
    Console.WriteLine($"{"",-34}{"ceiling",12}{"mesh",12}{"ratio",10}");
    Row("acks/s", bare.AcksPerSecond, run.AcksPerSecond);
    Row("ack p50 (ms)", bare.P50Ms, run.P50Ms, lowerIsBetter: true);
    Row("ack p99 (ms)", bare.P99Ms, run.P99Ms, lowerIsBetter: true);
    Row("sustained rate (updates/s)", bare.SustainedPerSecond, run.SustainedPerSecond);
    Console.WriteLine($"{"replies delivered / updates sent",-34}{"",12}{$"{run.Replies}/{run.Sent}",12}{(double)run.Replies / Math.Max(1, run.Sent),10:P1}");
    Console.WriteLine($"{"non-200 answers",-34}{bare.Errors,12}{run.Errors,12}");
}
Console.WriteLine("── after the load ──────────────────────────────────────────────────────────");
Console.WriteLine($"RSS gateway {rssGateway / 1048576.0:F0} MB, bot {rssBot / 1048576.0:F0} MB (bench process incl. ceiling endpoint and load generator: {ceilingRss / 1048576.0:F0} MB)");
Console.WriteLine($"idle CPU over {idleSeconds} s: gateway {cpuGateway:P2} of one core, bot {cpuBot:P2}, together {cpuGateway + cpuBot:P2}");

void Row(string name, double bare, double value, bool lowerIsBetter = false) =>
    Console.WriteLine($"{name,-34}{bare,12:F1}{value,12:F1}{(lowerIsBetter ? bare / Math.Max(value, 1e-9) : value / Math.Max(bare, 1e-9)),10:P1}");

int Arg(string name, int fallback) => ArgText(name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

string? ArgText(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

static long Rss(int pid)
{
    foreach (var line in File.ReadLines($"/proc/{pid}/status"))
    {
        if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
        {
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
    }
    return 0;
}

static long CpuTicks(int pid)
{
    var stat = File.ReadAllText($"/proc/{pid}/stat");
    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture); // utime + stime
}

static async Task<(double Gateway, double Bot)> IdleCpuAsync(int gateway, int bot, TimeSpan window)
{
    const double ticksPerSecond = 100; // USER_HZ
    var g0 = CpuTicks(gateway);
    var b0 = CpuTicks(bot);
    await Task.Delay(window);
    return ((CpuTicks(gateway) - g0) / ticksPerSecond / window.TotalSeconds, (CpuTicks(bot) - b0) / ticksPerSecond / window.TotalSeconds);
}

record Run(long Sent, long Acked, long Errors, double AcksPerSecond, double P50Ms, double P99Ms, long FirstSend, long Replies = 0, double SustainedPerSecond = 0);

static class Load
{
    public static async Task<Run> RunAsync(string url, int senders, TimeSpan duration, int chats, Func<long> nextId, string? secret)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = senders, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            Timeout = TimeSpan.FromSeconds(30),
        };
        // Warm up the connections and the JIT.
        await Task.WhenAll(Enumerable.Range(0, senders).Select(_ => PostAsync(http, url, nextId(), chats, secret)));
        var latencies = new List<double>[senders];
        long sent = 0, acked = 0, errors = 0;
        var firstSend = Stopwatch.GetTimestamp();
        var end = firstSend + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        await Task.WhenAll(Enumerable.Range(0, senders).Select(i => Task.Run(async () =>
        {
            var mine = latencies[i] = new List<double>(4096);
            while (Stopwatch.GetTimestamp() < end)
            {
                var started = Stopwatch.GetTimestamp();
                Interlocked.Increment(ref sent);
                var status = await PostAsync(http, url, nextId(), chats, secret);
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                Interlocked.Increment(ref status == HttpStatusCode.OK ? ref acked : ref errors);
            }
        })));
        var elapsed = Stopwatch.GetElapsedTime(firstSend).TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        return new Run(sent, acked, errors, acked / elapsed, Percentile(all, 0.50), Percentile(all, 0.99), firstSend);
    }

    static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    static async Task<HttpStatusCode> PostAsync(HttpClient http, string url, long updateId, int chats, string? secret)
    {
        var chat = 100_000 + updateId % chats;
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(UpdatePathHost.TextUpdate(updateId, chat, "/start"), Encoding.UTF8, "application/json"),
        };
        if (secret is not null)
        {
            request.Headers.Add("X-Telegram-Bot-Api-Secret-Token", secret);
        }
        try
        {
            using var response = await http.SendAsync(request);
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return HttpStatusCode.ServiceUnavailable;
        }
    }
}

/// <summary>The ceiling: Kestrel answering 200 to any POST with no work.</summary>
sealed class BareEndpoint : IAsyncDisposable
{
    WebApplication app = null!;

    public string Url { get; private set; } = "";

    public static async Task<BareEndpoint> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var endpoint = new BareEndpoint { app = builder.Build() };
        endpoint.app.MapPost("/", () => Results.Ok());
        await endpoint.app.StartAsync();
        endpoint.Url = endpoint.app.Urls.First().TrimEnd('/') + "/";
        return endpoint;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
