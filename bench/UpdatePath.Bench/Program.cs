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
// Bot API, against a bare Kestrel 200 endpoint as the ceiling. Usage: dotnet run -c Release --project bench/UpdatePath.Bench -- [--seconds 60] [--idle-seconds 60] [--warmup-seconds 15] [--senders 40,100] [--chats 1000] [--sink nginx|sandbox] [--set "KEY=VALUE;…"] [--reference]
// The sink is nginx with a canned sendMessage answer (scripts/install-prerequisites.sh --bench installs it), else the sandbox's sink mode in-process.

if (args is [ReferenceBot.ServeArgument, var referenceApi, var referenceSecret])
{
    return await ReferenceBot.ServeAsync(referenceApi, referenceSecret);
}

var seconds = Arg("--seconds", 60);
var idleSeconds = Arg("--idle-seconds", 60);
var warmupSeconds = Arg("--warmup-seconds", 15);
var chats = Arg("--chats", 1000);
var senderCounts = (ArgText("--senders") ?? "40,100").Split(',').Select(int.Parse).ToArray();
var duration = TimeSpan.FromSeconds(seconds);
var sinkKind = ArgText("--sink") ?? (NginxSink.Available ? "nginx" : "sandbox");
// --reference: a run per sender count for each reference bot, the same load against bots on popular frameworks answering inline (ReferenceBot).
var reference = args.Contains("--reference");
var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";

Console.WriteLine($"Update-path benchmark: {duration.TotalSeconds} s per run after {warmupSeconds} s of warm-up, senders {string.Join('/', senderCounts)}, {chats} chats, {Environment.ProcessorCount} cores, services from {Path.GetDirectoryName(ServiceHost.DllOf("BotService"))}");
if (sinkKind == "nginx" && !NginxSink.Available)
{
    Console.WriteLine("nginx is not installed: run scripts/install-prerequisites.sh --bench, or pass --sink sandbox.");
    return 1;
}
Console.WriteLine(sinkKind == "nginx"
    ? "Bot API stand-in: nginx answering sendMessage with a canned reply (its own process), the rest proxied to the sandbox."
    : "Bot API stand-in: the sandbox's sink mode, in the benchmark's process (nginx is lighter: scripts/install-prerequisites.sh --bench).");
if (configuration != "Release")
{
    Console.WriteLine("WARNING: a Debug build; run with -c Release for figures worth comparing.");
}

await using var redis = new RedisServerFixture();
await redis.InitializeAsync();
NginxSink? nginx = null;
// --set "KEY=VALUE;…": configuration keys (Bot:Workers) or runtime variables (DOTNET_TieredPGO) for both services, for A/B runs.
// A key prefixed "gateway/" or "bot/" goes to that service only.
var settingsToSet = (ArgText("--set") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries).Select(kv => kv.Split('=', 2)).ToArray();
Dictionary<string, string?> SettingsFor(string service) => settingsToSet
    .Where(kv => !kv[0].Contains('/') || kv[0].StartsWith(service + "/", StringComparison.Ordinal))
    .ToDictionary(kv => kv[0][(kv[0].IndexOf('/') + 1)..], kv => (string?)kv[1]);
// The benchmark's own settings with those of --set over them (a key given there wins).
Dictionary<string, string?> With(Dictionary<string, string?> defaults, string service)
{
    foreach (var (key, value) in SettingsFor(service))
    {
        defaults[key] = value;
    }
    return defaults;
}
// Production environment and webhook mode, as deployed; the sink stands in for the Bot API with no rate limits of ours.
// nginx starts inside (in front of the sandbox, before the services): stopped here if a service then fails to start.
UpdatePathHost started;
try
{
    started = await UpdatePathHost.StartAsync(redis.ConnectionString, RedisServerFixture.NewKeyPrefix("bench"), With(new Dictionary<string, string?>
    {
        ["Bot:LeaseDuration"] = "00:00:30",
        ["Bot:MaxAttempts"] = "5",
        ["Bot:IdlePollInterval"] = "00:00:05",
        ["Telegram:PerChatPerSecond"] = "0",
        ["Telegram:GlobalPerSecond"] = "0",
        ["Telegram:PublicUrl"] = "https://bench.invalid",
        ["Telegram:WebhookSecret"] = UpdatePathHost.Secret,
    }, "bot"), sink: sinkKind != "nginx", environment: "Production", gatewaySettings: With(new Dictionary<string, string?>
    {
        ["Gateway:OperatorTokens:0"] = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)),
    }, "gateway"), telegramFront: sinkKind != "nginx" ? null : async sandbox => (nginx = await NginxSink.StartAsync(sandbox)).Url);
}
catch
{
    if (nginx is not null)
    {
        await nginx.DisposeAsync();
    }
    throw;
}
await using var mesh = started;
await using var sinkProcess = nginx;
// Replies the stand-in answered so far.
long Delivered() => nginx?.Count ?? mesh.DeliveredCount;
await using var ceiling = await BareEndpoint.StartAsync();
if (reference && nginx is null)
{
    Console.WriteLine("--reference needs nginx as the sink (scripts/install-prerequisites.sh --bench).");
    return 1;
}
var referenceBots = new List<ReferenceBot.Running>();
await using var stopReferenceBots = new Stop(async () =>
{
    foreach (var bot in referenceBots)
    {
        await bot.DisposeAsync();
    }
});
if (reference)
{
    foreach (var name in ReferenceBot.Available)
    {
        referenceBots.Add(await ReferenceBot.StartAsync(name, nginx!.Url, UpdatePathHost.Secret));
    }
    Console.WriteLine($"Reference bots answering inline: {string.Join(", ", referenceBots.Select(b => $"{b.Name} ({b.Details})"))}{(ReferenceBot.Available.Count < ReferenceBot.All.Count ? $"; not {string.Join(", ", ReferenceBot.All.Except(ReferenceBot.Available))}: scripts/install-prerequisites.sh --bench installs Node and their packages" : "")}.");
}
var processes = new (string Name, int Pid)[] { ("gateway", mesh.Gateway.ProcessId), ("bot", mesh.Bots[0].ProcessId), ("redis", redis.ProcessId ?? 0), ("bench", Environment.ProcessId) }
    .Concat(nginx is null ? [] : [("nginx", nginx.ProcessId)]).ToArray();

long nextUpdateId = 1;
long meshUpdates = 0; // updates posted to the mesh (the ceiling's take ids too)
long NextId() => Interlocked.Increment(ref nextUpdateId);

// Warm-up: JIT (tiered up), connections, thread pools and Redis scripts, on both targets; then the mesh's backlog drains.
if (warmupSeconds > 0)
{
    var warm = TimeSpan.FromSeconds(warmupSeconds);
    Console.WriteLine("warm-up …");
    foreach (var senders in senderCounts)
    {
        meshUpdates += (await Load.RunAsync(mesh.WebhookUrl, senders, warm, chats, NextId, UpdatePathHost.Secret)).Sent;
    }
    await DrainAsync(Delivered, TimeSpan.FromSeconds(60));
    // The JIT tiers methods up once the load stops (call counting waits for a quiet moment): let it finish.
    await Task.Delay(TimeSpan.FromSeconds(5));
    foreach (var senders in senderCounts)
    {
        await Load.RunAsync(ceiling.Url, senders, TimeSpan.FromSeconds(Math.Min(5, warmupSeconds)), chats, NextId, UpdatePathHost.Secret);
        foreach (var bot in referenceBots)
        {
            await Load.RunAsync(bot.Url, senders, TimeSpan.FromSeconds(Math.Min(5, warmupSeconds)), chats, NextId, UpdatePathHost.Secret);
        }
    }
    await DrainAsync(Delivered, TimeSpan.FromSeconds(60));
}

// The reference bots' runs per sender count: each one's run (replies counted at the sink), the CPU shares of one core of
// the reference bot and then of the processes of the mesh run (in their order), and the machine's CPU over the run.
var referenceResults = new Dictionary<int, List<(string Name, Run Run, double[] Cpu, MachineCpu Machine)>>();

var results = new List<(int Senders, Run Ceiling, Run Mesh, double[] CpuBare, double[] CpuMesh, MachineCpu Machine, double[] SwitchesPerUpdate, RedisCalls RedisPerUpdate, RuntimeTotals?[] Managed)>();
foreach (var senders in senderCounts)
{
    var cpu0 = processes.Select(p => ProcessCpu.Ticks(p.Pid)).ToArray();
    var t0 = Stopwatch.GetTimestamp();
    Console.WriteLine($"{senders} senders: ceiling run …");
    // The same requests as the mesh run's, secret header included (the bare endpoint ignores it).
    var bare = await Load.RunAsync(ceiling.Url, senders, duration, chats, NextId, UpdatePathHost.Secret);
    var cpuBare = CpuShare(cpu0, t0);

    await DrainAsync(Delivered, TimeSpan.FromSeconds(60));
    // The services' managed allocations and gen0 GCs so far, over their diagnostics IPC, from a session open only for
    // the read: none runs in them during the run (n/a where a service runs with its diagnostics off).
    var managed0 = await Task.WhenAll(RuntimeCounters.ReadOnceAsync(mesh.Gateway.ProcessId), RuntimeCounters.ReadOnceAsync(mesh.Bots[0].ProcessId));
    var repliesBefore = Delivered();
    cpu0 = processes.Select(p => ProcessCpu.Ticks(p.Pid)).ToArray();
    var switches0 = processes.Select(p => ContextSwitches(p.Pid)).ToArray();
    var redis0 = await RedisCalls.ReadAsync(redis.Connection);
    var machine0 = MachineCpu.Read();
    t0 = Stopwatch.GetTimestamp();
    Console.WriteLine($"{senders} senders: mesh run …");
    var run = await Load.RunAsync(mesh.WebhookUrl, senders, duration, chats, NextId, UpdatePathHost.Secret);
    meshUpdates += run.Sent;
    long MeshReplies() => Delivered() - repliesBefore - run.Opening;
    var repliesAtStop = MeshReplies();
    var stopped = Stopwatch.GetTimestamp();
    // Wait for every reply (or give up after a minute): the sustained rate counts the backlog.
    var target = repliesBefore + run.Opening + run.Acked;
    var lastReply = await LastReplyAsync(target, TimeSpan.FromSeconds(60));
    var cpuMesh = CpuShare(cpu0, t0);
    var machine = MachineCpu.Read() - machine0;
    var switches = processes.Select((p, i) => (ContextSwitches(p.Pid) - switches0[i]) / (double)Math.Max(1, run.Sent)).ToArray();
    var redisCalls = (await RedisCalls.ReadAsync(redis.Connection) - redis0) / Math.Max(1, run.Sent);
    var managed1 = await Task.WhenAll(RuntimeCounters.ReadOnceAsync(mesh.Gateway.ProcessId), RuntimeCounters.ReadOnceAsync(mesh.Bots[0].ProcessId));
    var managed = managed0.Zip(managed1, (before, after) => before is { } b && after is { } a ? a - b : (RuntimeTotals?)null).ToArray();
    var delivered = MeshReplies();
    run = run with
    {
        Replies = delivered,
        SustainedPerSecond = run.Sent / Stopwatch.GetElapsedTime(run.FirstSend, lastReply).TotalSeconds,
        RepliesAtStop = repliesAtStop,
        LoadSeconds = Stopwatch.GetElapsedTime(run.FirstSend, stopped).TotalSeconds,
        DrainSeconds = Stopwatch.GetElapsedTime(stopped, lastReply).TotalSeconds,
    };
    results.Add((senders, bare with { SustainedPerSecond = bare.AcksPerSecond, Replies = bare.Acked }, run, cpuBare, cpuMesh, machine, switches, redisCalls, managed));

    foreach (var bot in referenceBots)
    {
        await DrainAsync(Delivered, TimeSpan.FromSeconds(60));
        // A mesh reply still to come would be counted as the reference's: say so (it has not happened in any run so far).
        if (Delivered() < target)
        {
            Console.WriteLine($"WARNING: {target - Delivered()} replies of the mesh run still missing; the {bot.Name} reference's reply count may include them.");
        }
        Console.WriteLine($"{senders} senders: reference run ({bot.Name} answering inline) …");
        int[] pids = [bot.ProcessId, .. processes.Select(p => p.Pid)];
        var before = pids.Select(ProcessCpu.Ticks).ToArray();
        var machineBefore = MachineCpu.Read();
        var repliesBeforeReference = Delivered();
        var referenceStart = Stopwatch.GetTimestamp();
        var answered = await Load.RunAsync(bot.Url, senders, duration, chats, NextId, UpdatePathHost.Secret);
        // As for the mesh: the sustained rate runs to the last reply (each was sent before its acknowledgement; the
        // sink's count is up to 20 ms behind).
        var referenceLast = await LastReplyAsync(repliesBeforeReference + answered.Opening + answered.Acked, TimeSpan.FromSeconds(5));
        var referenceSeconds = Stopwatch.GetElapsedTime(referenceStart, referenceLast).TotalSeconds;
        var shares = pids.Select((pid, i) => (ProcessCpu.Ticks(pid) - before[i]) / ProcessCpu.TicksPerSecond / referenceSeconds).ToArray();
        var referenceMachine = MachineCpu.Read() - machineBefore;
        if (bot.ExitCode is { } exit)
        {
            Console.WriteLine($"WARNING: the {bot.Name} reference bot exited (code {exit}) during its run.");
        }
        (referenceResults.TryGetValue(senders, out var list) ? list : referenceResults[senders] = []).Add((bot.Name,
            answered with
            {
                Replies = Delivered() - repliesBeforeReference - answered.Opening,
                SustainedPerSecond = answered.Sent / Stopwatch.GetElapsedTime(answered.FirstSend, referenceLast).TotalSeconds,
            }, shares, referenceMachine));
    }
}

var rssGateway = Rss(mesh.Gateway.ProcessId);
var rssBot = Rss(mesh.Bots[0].ProcessId);
var (rssPartsGateway, rssPartsBot) = (RssParts(mesh.Gateway.ProcessId), RssParts(mesh.Bots[0].ProcessId));
// What the updates left behind in Redis (de-dup markers, conversation state): the queues themselves are empty by now.
var redisMemory = await RedisCalls.InfoAsync(redis.Connection, "memory");
var redisUsed = redisMemory.Split('\n', StringSplitOptions.TrimEntries).FirstOrDefault(l => l.StartsWith("used_memory:", StringComparison.Ordinal))?["used_memory:".Length..];
var redisKeys = (long)await RedisCalls.ReadAsync(redis.Connection, "DBSIZE", db => db.ExecuteAsync("DBSIZE"));
GC.Collect();
var ceilingRss = Rss(Environment.ProcessId);
// Let the services settle (tiering, GC, pooled connections' idle timers) before the idle window.
await Task.Delay(TimeSpan.FromSeconds(Math.Min(5, idleSeconds)));
Console.WriteLine($"Measuring idle CPU over {idleSeconds} s …");
var (cpuGateway, cpuBot) = await IdleCpuAsync(mesh.Gateway.ProcessId, mesh.Bots[0].ProcessId, TimeSpan.FromSeconds(idleSeconds));

Console.WriteLine();
foreach (var (senders, bare, run, cpuBare, cpuMesh, machine, switches, redisCalls, managed) in results)
{
    Console.WriteLine($"── {senders} concurrent senders ──────────────────────────────────────────────");
    Console.WriteLine($"{"",-34}{"ceiling",12}{"mesh",12}{"ratio",10}");
    Row("acks/s", bare.AcksPerSecond, run.AcksPerSecond);
    Row("ack p50 (ms)", bare.P50Ms, run.P50Ms, lowerIsBetter: true);
    Row("ack p99 (ms)", bare.P99Ms, run.P99Ms, lowerIsBetter: true);
    // The tail beyond p99: a pause of a whole process (a GC, a stalled thread) shows here long before it moves p99.
    Row("ack p99.9 (ms)", bare.P999Ms, run.P999Ms, lowerIsBetter: true);
    Row("ack max (ms)", bare.MaxMs, run.MaxMs, lowerIsBetter: true);
    Row("sustained rate (updates/s)", bare.SustainedPerSecond, run.SustainedPerSecond);
    Console.WriteLine($"{"replies delivered / updates sent",-34}{"",12}{$"{run.Replies}/{run.Sent}",12}{(double)run.Replies / Math.Max(1, run.Sent),10:P1}");
    Console.WriteLine($"{"non-200 answers",-34}{bare.Errors,12}{run.Errors,12}");
    // Where the sustained rate loses to the acks: the replies' own rate while the senders ran, and the backlog they left.
    Console.WriteLine($"{"replies/s while sending",-34}{"",12}{run.RepliesAtStop / Math.Max(1e-9, run.LoadSeconds),12:F1}   backlog at the senders' stop {run.Replies - run.RepliesAtStop:N0}, drained in {run.DrainSeconds:F2} s ({(run.Replies - run.RepliesAtStop) / Math.Max(1e-9, run.DrainSeconds):F0}/s)");
    Console.WriteLine($"{"CPU % of one core (ceiling run)",-34}{string.Join("  ", processes.Select((p, i) => $"{p.Name} {cpuBare[i]:P0}"))}");
    Console.WriteLine($"{"CPU % of one core (mesh run)",-34}{string.Join("  ", processes.Select((p, i) => $"{p.Name} {cpuMesh[i]:P0}"))}");
    // The whole machine over the same window (/proc/stat): what no process above is charged for, and what nobody used.
    Console.WriteLine($"{"machine CPU (mesh run)",-34}user {machine.Share(machine.User):P0}  system {machine.Share(machine.System):P0}  softirq {machine.Share(machine.SoftIrq):P0}  idle {machine.Share(machine.Idle):P0}  other {machine.Share(machine.Other):P0}");
    // CPU time of gateway + bot + redis per update (share of a core over the run ÷ updates per second): less sensitive
    // to other load on the machine than the rates.
    Console.WriteLine($"{"CPU ms per update (gw+bot+redis)",-34}{"",12}{(cpuMesh[0] + cpuMesh[1] + cpuMesh[2]) / Math.Max(1e-9, run.SustainedPerSecond) * 1000,12:F3}   (every process above: {cpuMesh.Sum() / Math.Max(1e-9, run.SustainedPerSecond) * 1000:F3})");
    // Counts, not times: steadier than the rates from one run to the next on a shared machine, so they show what a change did.
    Console.WriteLine($"{"context switches per update",-34}{string.Join("  ", processes.Select((p, i) => $"{p.Name} {switches[i]:F2}"))}");
    Console.WriteLine($"{"Redis per update",-34}{redisCalls.Scripts:F2} script calls, {redisCalls.Commands:F2} commands (those in scripts included), {redisCalls.Microseconds:F1} µs running scripts");
    // Managed bytes allocated (the GC's count) and gen0-only collections, read just before and just after the CPU window.
    Console.WriteLine($"{"managed allocations per update",-34}gateway {KilobytesPerUpdate(managed[0], run.Sent)}  bot {KilobytesPerUpdate(managed[1], run.Sent)}   (gen0 GCs per 1,000 updates: gateway {Gen0PerThousand(managed[0], run.Sent)}, bot {Gen0PerThousand(managed[1], run.Sent)})");
    Console.WriteLine($"{"thread-pool work items per update",-34}gateway {WorkItemsPerUpdate(managed[0], run.Sent)}  bot {WorkItemsPerUpdate(managed[1], run.Sent)}");
    // Time the collections held every thread of the process (the runtime's dotnet.gc.pause.time): a share of the run
    // that each acknowledgement in flight then waits out.
    Console.WriteLine($"{"GC pauses per 1,000 updates",-34}gateway {PauseMsPerThousand(managed[0], run.Sent)}  bot {PauseMsPerThousand(managed[1], run.Sent)}   (share of the run: gateway {PauseShare(managed[0], run.LoadSeconds + run.DrainSeconds)}, bot {PauseShare(managed[1], run.LoadSeconds + run.DrainSeconds)})");
    foreach (var (name, answered, cpu, referenceMachine) in referenceResults.GetValueOrDefault(senders) ?? [])
    {
        Console.WriteLine($"{"reference: " + name + " inline",-34}{"ceiling",12}{"reference",12}{"ratio",10}{"mesh ÷ ref",12}");
        ReferenceRow("acks/s", bare.AcksPerSecond, answered.AcksPerSecond, run.AcksPerSecond);
        ReferenceRow("ack p50 (ms)", bare.P50Ms, answered.P50Ms, run.P50Ms, lowerIsBetter: true);
        ReferenceRow("ack p99 (ms)", bare.P99Ms, answered.P99Ms, run.P99Ms, lowerIsBetter: true);
        ReferenceRow("sustained rate (updates/s)", bare.SustainedPerSecond, answered.SustainedPerSecond, run.SustainedPerSecond);
        Console.WriteLine($"{"replies delivered / updates sent",-34}{"",12}{$"{answered.Replies}/{answered.Sent}",12}{(double)answered.Replies / Math.Max(1, answered.Sent),10:P1}   non-200 answers {answered.Errors}");
        Console.WriteLine($"{"CPU % of one core (reference run)",-34}reference bot {cpu[0]:P0}  {string.Join("  ", processes.Select((p, i) => $"{p.Name} {cpu[i + 1]:P0}"))}   machine idle {referenceMachine.Share(referenceMachine.Idle):P0}");
        Console.WriteLine($"{"CPU ms per update (reference bot)",-34}{"",12}{cpu[0] / Math.Max(1e-9, answered.SustainedPerSecond) * 1000,12:F3}   (every process above: {cpu.Sum() / Math.Max(1e-9, answered.SustainedPerSecond) * 1000:F3})");
    }
}
Console.WriteLine("── after the load ──────────────────────────────────────────────────────────");
Console.WriteLine($"RSS gateway {rssGateway / 1048576.0:F0} MB, bot {rssBot / 1048576.0:F0} MB (bench process incl. ceiling endpoint and load generator: {ceilingRss / 1048576.0:F0} MB)");
Console.WriteLine($"  of which   gateway {rssPartsGateway}; bot {rssPartsBot}");
Console.WriteLine($"Redis after the load ({meshUpdates:N0} updates through the mesh, warm-up included): {long.Parse(redisUsed ?? "0", CultureInfo.InvariantCulture) / 1048576.0:F0} MB used, {redisKeys:N0} keys");
Console.WriteLine($"idle CPU over {idleSeconds} s: gateway {cpuGateway:P2} of one core, bot {cpuBot:P2}, together {cpuGateway + cpuBot:P2}");
return 0;

double[] CpuShare(long[] before, long started)
{
    var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
    return processes.Select((p, i) => (ProcessCpu.Ticks(p.Pid) - before[i]) / ProcessCpu.TicksPerSecond / seconds).ToArray();
}

static string KilobytesPerUpdate(RuntimeTotals? totals, long updates) =>
    totals is { } t ? $"{t.AllocatedBytes / 1024.0 / Math.Max(1, updates):F1} KB" : "n/a";

static string WorkItemsPerUpdate(RuntimeTotals? totals, long updates) =>
    totals is { } t ? $"{t.WorkItems / (double)Math.Max(1, updates):F2}" : "n/a";

static string PauseMsPerThousand(RuntimeTotals? totals, long updates) =>
    totals is { } t ? $"{t.GcPauseSeconds * 1000 * 1000.0 / Math.Max(1, updates):F2} ms" : "n/a";

static string PauseShare(RuntimeTotals? totals, double seconds) =>
    totals is { } t ? $"{t.GcPauseSeconds / Math.Max(1e-9, seconds):P2}" : "n/a";

static string Gen0PerThousand(RuntimeTotals? totals, long updates) =>
    totals is { } t ? $"{t.Gen0Collections * 1000.0 / Math.Max(1, updates):F2}" : "n/a";

// When the sink had counted <target> replies (Stopwatch ticks), waiting at most <deadline> for them.
async Task<long> LastReplyAsync(long target, TimeSpan deadline)
{
    var until = DateTime.UtcNow + deadline;
    while (Delivered() < target && DateTime.UtcNow < until)
    {
        await Task.Delay(2);
    }
    return Stopwatch.GetTimestamp();
}

static async Task DrainAsync(Func<long> delivered, TimeSpan deadline)
{
    // Done when no reply arrived for half a second.
    var until = DateTime.UtcNow + deadline;
    var last = -1L;
    while (DateTime.UtcNow < until && delivered() != last)
    {
        last = delivered();
        await Task.Delay(500);
    }
}

// A reference row: ceiling, reference, the reference's ratio to the ceiling (as the mesh's rows), then the mesh's figure
// divided by the reference's (a rate: above 1 the mesh is faster; a latency: above 1 the mesh is slower).
void ReferenceRow(string name, double bare, double value, double mesh, bool lowerIsBetter = false) =>
    Console.WriteLine($"{name,-34}{bare,12:F1}{value,12:F1}{(lowerIsBetter ? bare / Math.Max(value, 1e-9) : value / Math.Max(bare, 1e-9)),10:P1}{mesh / Math.Max(value, 1e-9),12:F2}×");

void Row(string name, double bare, double value, bool lowerIsBetter = false) =>
    Console.WriteLine($"{name,-34}{bare,12:F1}{value,12:F1}{(lowerIsBetter ? bare / Math.Max(value, 1e-9) : value / Math.Max(bare, 1e-9)),10:P1}");

int Arg(string name, int fallback) => ArgText(name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

string? ArgText(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

static long Rss(int pid) => ProcField(File.ReadLines($"/proc/{pid}/status"), "VmRSS:") * 1024;

// A "Name:  value [kB]" line of a /proc file (spaces or a tab after the name); 0 when there is none.
static long ProcField(IEnumerable<string> lines, string name) =>
    lines.FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal)) is { } line
        ? long.Parse(line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) : 0;

// RSS by kind (smaps_rollup): anonymous (GC heap, native allocations, stacks), shared memory (the JIT's double-mapped
// code under W^X) and files (the mapped assemblies and native libraries); and the process's threads.
static string RssParts(int pid)
{
    try
    {
        var rollup = File.ReadAllLines($"/proc/{pid}/smaps_rollup");
        var status = File.ReadAllLines($"/proc/{pid}/status");
        return $"anonymous {ProcField(rollup, "Anonymous:") / 1024} MB, shared memory {ProcField(status, "RssShmem:") / 1024} MB, " +
            $"files {ProcField(status, "RssFile:") / 1024} MB, {ProcField(status, "Threads:")} threads";
    }
    catch (IOException)
    {
        return "n/a";
    }
}

// Voluntary and involuntary switches of every thread of the process (a wake-up and a hop between threads each cost one).
// The bench's own come from getrusage, which keeps the switches of threads that ended (the load generator's come and go).
static long ContextSwitches(int pid)
{
    if (pid == Environment.ProcessId)
    {
        var usage = new long[18]; // struct rusage: two timevals, then 14 longs; ru_nvcsw and ru_nivcsw are the last two
        return Native.getrusage(0, usage) == 0 ? usage[16] + usage[17] : 0;
    }
    long total = 0;
    foreach (var task in Directory.Exists($"/proc/{pid}/task") ? Directory.GetDirectories($"/proc/{pid}/task") : [])
    {
        try
        {
            foreach (var line in File.ReadLines(Path.Combine(task, "status")))
            {
                if (line.Contains("ctxt_switches:", StringComparison.Ordinal))
                {
                    total += long.Parse(line[(line.IndexOf(':') + 1)..].Trim(), CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
            // The thread ended meanwhile.
        }
    }
    return total;
}

static async Task<(double Gateway, double Bot)> IdleCpuAsync(int gateway, int bot, TimeSpan window)
{
    var g0 = ProcessCpu.Ticks(gateway);
    var b0 = ProcessCpu.Ticks(bot);
    await Task.Delay(window);
    return ((ProcessCpu.Ticks(gateway) - g0) / ProcessCpu.TicksPerSecond / window.TotalSeconds, (ProcessCpu.Ticks(bot) - b0) / ProcessCpu.TicksPerSecond / window.TotalSeconds);
}

static class Native
{
    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    public static extern int getrusage(int who, long[] usage);
}

/// <summary>Redis's own count of commands (those run inside scripts included) and of script calls, from INFO commandstats.</summary>
/// <param name="Commands">Commands other than script calls, those the scripts ran included.</param>
/// <param name="Microseconds">Time Redis spent running scripts (the commands they ran included).</param>
record RedisCalls(double Commands, double Scripts, double Microseconds)
{
    public static async Task<RedisCalls> ReadAsync(StackExchange.Redis.IConnectionMultiplexer redis)
    {
        var info = await InfoAsync(redis, "commandstats");
        double commands = 0, scripts = 0, usec = 0;
        foreach (var line in info.Split('\n', StringSplitOptions.TrimEntries))
        {
            // cmdstat_evalsha:calls=12,usec=340,usec_per_call=28.33,...
            if (!line.StartsWith("cmdstat_", StringComparison.Ordinal))
            {
                continue;
            }
            var name = line[8..line.IndexOf(':')];
            var fields = line[(line.IndexOf(':') + 1)..].Split(',').Select(f => f.Split('=')).ToDictionary(f => f[0], f => f[1]);
            var calls = double.Parse(fields["calls"], CultureInfo.InvariantCulture);
            if (name is "info" or "ping" or "client|setinfo" or "client|setname" or "subscribe" or "config|get" or "cluster|nodes" or "echo")
            {
                continue; // the bench's own and the client's housekeeping
            }
            if (name is "evalsha" or "eval")
            {
                scripts += calls;
                usec += double.Parse(fields["usec"], CultureInfo.InvariantCulture);
            }
            else
            {
                commands += calls;
            }
        }
        return new RedisCalls(commands, scripts, usec);
    }

    /// <summary>A section of INFO, read with <see cref="ReadAsync{T}"/>'s retries.</summary>
    public static async Task<string> InfoAsync(StackExchange.Redis.IConnectionMultiplexer redis, string section) =>
        (string?)await ReadAsync(redis, $"INFO {section}", db => db.ExecuteAsync("INFO", section)) ?? "";

    /// <summary>
    /// One of the benchmark's own reads of Redis after a run, tried up to three times: once, right after a 100-sender
    /// run, a read was cancelled (a TaskCanceledException from the client) and the whole run was lost with it. Each
    /// failure is printed.
    /// </summary>
    public static async Task<T> ReadAsync<T>(StackExchange.Redis.IConnectionMultiplexer redis, string what, Func<StackExchange.Redis.IDatabase, Task<T>> read)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await read(redis.GetDatabase());
            }
            catch (Exception e) when (attempt < 3 && e is OperationCanceledException or StackExchange.Redis.RedisException)
            {
                Console.Error.WriteLine($"Reading Redis's {what} failed ({e.GetType().Name}: {e.Message}; connected: {redis.IsConnected}); trying again");
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        }
    }

    public static RedisCalls operator -(RedisCalls a, RedisCalls b) => new(a.Commands - b.Commands, a.Scripts - b.Scripts, a.Microseconds - b.Microseconds);

    public static RedisCalls operator /(RedisCalls a, double n) => new(a.Commands / n, a.Scripts / n, a.Microseconds / n);
}

/// <summary>The machine's CPU time by kind, in clock ticks (the first line of /proc/stat).</summary>
readonly record struct MachineCpu(long User, long System, long Idle, long SoftIrq, long Other)
{
    long Total => User + System + Idle + SoftIrq + Other;

    public double Share(long part) => part / (double)Math.Max(1, Total);

    public static MachineCpu Read()
    {
        var f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        // user nice system idle iowait irq softirq steal guest guest_nice (guest time is already in user)
        return new(f[0] + f[1], f[2], f[3] + f[4], f[6], f[5] + f[7]);
    }

    public static MachineCpu operator -(MachineCpu a, MachineCpu b) =>
        new(a.User - b.User, a.System - b.System, a.Idle - b.Idle, a.SoftIrq - b.SoftIrq, a.Other - b.Other);
}

/// <param name="Opening">Posts acknowledged while the connections were opened, before the clock started (their replies are not counted).</param>
record Run(long Sent, long Acked, long Errors, double AcksPerSecond, double P50Ms, double P99Ms, double P999Ms, double MaxMs, long FirstSend, long Opening, long Replies = 0,
    double SustainedPerSecond = 0, long RepliesAtStop = 0, double LoadSeconds = 0, double DrainSeconds = 0);

static class Load
{
    public static async Task<Run> RunAsync(string url, int senders, TimeSpan duration, int chats, Func<long> nextId, string? secret)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = senders, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            Timeout = TimeSpan.FromSeconds(30),
        };
        // Warm up the connections and the JIT.
        var opened = (await Task.WhenAll(Enumerable.Range(0, senders).Select(_ => PostAsync(http, url, nextId(), chats, secret)))).Count(s => s == HttpStatusCode.OK);
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
        return new Run(sent, acked, errors, acked / elapsed, Percentile(all, 0.50), Percentile(all, 0.99), Percentile(all, 0.999),
            all.Length == 0 ? 0 : all[^1], firstSend, opened);
    }

    // The JSON of UpdatePathHost.TextUpdate(id, chat, "/start") with the command's entity, as Telegram sends a command
    // (grammY's reference matches commands by it), formatted without a serializer so the load generator stays light.
    static ByteArrayContent Body(long updateId, long chat)
    {
        var json = string.Create(CultureInfo.InvariantCulture,
            $$$"""{"update_id":{{{updateId}}},"message":{"message_id":{{{updateId}}},"from":{"id":{{{chat}}},"is_bot":false,"first_name":"Ada","language_code":"en"},"chat":{"id":{{{chat}}},"type":"private","first_name":"Ada"},"date":1700000000,"text":"/start","entities":[{"offset":0,"length":6,"type":"bot_command"}]}}""");
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(json));
        content.Headers.ContentType = JsonType;
        return content;
    }

    static readonly System.Net.Http.Headers.MediaTypeHeaderValue JsonType = new("application/json") { CharSet = "utf-8" };

    static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    static async Task<HttpStatusCode> PostAsync(HttpClient http, string url, long updateId, int chats, string? secret)
    {
        var chat = 100_000 + updateId % chats;
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = Body(updateId, chat) };
        if (secret is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Telegram-Bot-Api-Secret-Token", secret);
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

/// <summary>Runs an action when disposed (the reference bots, stopped whatever happens).</summary>
sealed class Stop(Func<Task> stop) : IAsyncDisposable
{
    public async ValueTask DisposeAsync() => await stop();
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
