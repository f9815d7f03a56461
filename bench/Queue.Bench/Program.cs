using System.Diagnostics;
using System.Globalization;
using System.Text;
using Mesh.Bot;
using Mesh.Bot.Conversations;
using Mesh.Bot.Updates;
using Mesh.Testing;
using Mesh.Testing.Services;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

// What the durable queue costs Redis per update (the update path's single-threaded part): the intake script and the
// workers' settle script, driven as the mesh drives them at 40 senders (a batch of updates to as many chats appended in one
// call, then one settle that acknowledges the previous batch, with each handler's menu write, and leases the new one),
// against a real redis-server started as the AppHost starts it (append-only file on). One client, one call at a time,
// so Redis's CPU time is the queue's alone.
//
// Baseline, measured in the same run on the same server: the same updates stored and removed with plain commands (per
// batch a transaction of a SET per update, then one DEL of them all): what keeping an update durably costs at the least, with no
// de-dup, order, lease or snapshot. Figures are printed as ratios to it; rounds alternate so a slow minute hits both.
//
// Floor, with --floor: what a redesigned queue would cost Redis at the least, to size that lead before building it: no
// Lua, a stream per shard of chats leased whole (per-chat order kept by the shard's one holder), so every piece of
// bookkeeping that can be paid per round is. Per update only what any such design must do: the de-dup bit (SETBIT) and
// the append (XADD) at the intake, the user's snapshot (HMGET, GET) and the handler's menu write (HSET, the TTL renewed
// when due as the mesh renews it) at the worker; per round the read (XREADGROUP), the acknowledgement (XACK, XDEL) and
// the shard lease's renewal (SET XX PX). Every call pipelined, one round trip per step.
//
//   dotnet run -c Release --project bench/Queue.Bench -- [--updates 100000] [--batch 14] [--chats 1000] [--rounds 3] [--appendonly no]
var updates = Arg("--updates", 100_000);
var batch = Arg("--batch", 14);
var chatCount = Arg("--chats", 1000);
var rounds = Arg("--rounds", 3);
var appendOnly = ArgText("--appendonly") ?? "yes";
var floor = args.Contains("--floor");
long floorCalls = 0; // a floor run's round trips (pipelined steps), counted as it makes them
// As many places as the workers have (Bot:Workers), or the batch: every batch is leased by the settle that follows it.
var claim = Math.Max(batch, new BotOptions().Workers);
if (updates < 1 || batch < 1 || batch > chatCount || rounds < 1)
{
    Console.Error.WriteLine("--updates, --batch and --rounds must be at least 1, and --batch at most --chats (a batch goes to as many chats).");
    return 2;
}

await using var redis = new RedisServerFixture();
await redis.InitializeAsync();
var pid = redis.ProcessId ?? throw new InvalidOperationException("redis-server did not start");
await using var workers = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
await using var intake = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
var server = workers.GetServer(workers.GetEndPoints()[0]);
if (appendOnly != "yes")
{
    await server.ExecuteAsync("CONFIG", "SET", "appendonly", appendOnly);
}

Console.WriteLine($"Queue benchmark: {updates:N0} updates per round in batches of {batch} over {chatCount:N0} chats, {rounds} rounds; redis-server {RedisVersion()}, append-only file {(appendOnly == "yes" ? "on (as the AppHost runs it)" : appendOnly)}");

var queueCost = new List<Cost>();
var baseCost = new List<Cost>();
var floorCost = new List<Cost>();
await RunQueueAsync(Math.Min(updates, 20_000)); // warm-up: scripts loaded, both sides' code jitted
await RunBaselineAsync(Math.Min(updates, 20_000));
if (floor)
{
    await RunFloorAsync(Math.Min(updates, 20_000));
}
for (var round = 0; round < rounds; round++)
{
    baseCost.Add(await MeasureAsync(() => RunBaselineAsync(updates)));
    queueCost.Add(await MeasureAsync(() => RunQueueAsync(updates)));
    if (floor)
    {
        floorCost.Add(await MeasureAsync(() => RunFloorAsync(updates)));
    }
}

Console.WriteLine();
(string Name, Func<Cost, double> Of, string Format)[] Lines =
[
    ("Redis CPU (µs)", c => c.RedisCpuMicroseconds, "F1"),
    ("Redis time running the calls (µs)", c => c.RedisCommandMicroseconds, "F1"),
    ("  of which in the commands (µs)", c => c.InCommandsMicroseconds, "F1"),
    ("commands (those in scripts incl.)", c => c.Commands, "F2"),
    ("calls from the client", c => c.Calls, "F3"),
    ("wall time (µs)", c => c.WallMicroseconds, "F1"),
];
Console.WriteLine($"{"per update (median of rounds)",-36}{"baseline",12}{"queue",12}{"ratio",10}");
foreach (var (name, of, format) in Lines)
{
    Row(name, of, format);
}
Console.WriteLine($"queue rounds, Redis CPU µs per update: {Rounds(queueCost)}; baseline: {Rounds(baseCost)}");
if (floor)
{
    Console.WriteLine();
    Console.WriteLine($"{"floor of a redesign, per update",-36}{"floor",12}{"queue",12}{"ratio",10}");
    foreach (var (name, of, format) in Lines)
    {
        var f = Median(floorCost.Select(of));
        var q = Median(queueCost.Select(of));
        Console.WriteLine($"{name,-36}{f.ToString(format, CultureInfo.InvariantCulture),12}{q.ToString(format, CultureInfo.InvariantCulture),12}{(f > 0 ? (q / f).ToString("F2", CultureInfo.InvariantCulture) + "×" : "—"),10}");
    }
    Console.WriteLine($"floor rounds, Redis CPU µs per update: {Rounds(floorCost)}");
}
return 0;

static string Rounds(List<Cost> costs) => string.Join(", ", costs.Select(c => c.RedisCpuMicroseconds.ToString("F1", CultureInfo.InvariantCulture)));

void Row(string name, Func<Cost, double> of, string format)
{
    var b = Median(baseCost.Select(of));
    var q = Median(queueCost.Select(of));
    Console.WriteLine($"{name,-36}{b.ToString(format, CultureInfo.InvariantCulture),12}{q.ToString(format, CultureInfo.InvariantCulture),12}{(b > 0 ? (q / b).ToString("F2", CultureInfo.InvariantCulture) + "×" : "—"),10}");
}

// The mesh's way: append a batch (one intake call), then one settle that acknowledges the previous batch's chats, with
// each handler's write of its menu (3 fields, the TTL renewed when due), and leases every ready chat (the new batch). Whole batches: the
// updates sent (at least count).
async Task<int> RunQueueAsync(int count)
{
    var prefix = RedisServerFixture.NewKeyPrefix("qbench");
    var bot = Options.Create(new BotOptions { RedisKeyPrefix = prefix, ReorderWindow = TimeSpan.Zero, LeaseDuration = TimeSpan.FromSeconds(30) });
    var store = new ConversationStore(workers, bot, Options.Create(new ConversationOptions()), TimeProvider.System);
    var languages = new LanguageStore(workers, bot);
    var queue = new ChatQueue(workers, intake, bot, UserContext.SnapshotKeys(store, languages));
    var leased = new List<ChatLease>();
    var entries = new NewEntry[batch];
    var handed = 0; // entries handed to the "workers": each must be exactly one of those queued
    var sent = 0;
    for (; sent < count; sent += batch)
    {
        for (var i = 0; i < batch; i++)
        {
            var updateId = 1_000_000L + sent + i;
            var chat = (sent + i) % chatCount + 1;
            var chatText = chat.ToString(CultureInfo.InvariantCulture);
            entries[i] = NewEntry.Update(updateId, chatText, QueuedEntry.HeaderPrefix(EntryKind.Update, updateId.ToString(CultureInfo.InvariantCulture), null), Payload(updateId, chat));
        }
        if ((await queue.EnqueueManyAsync(entries)).Any(queued => !queued))
        {
            throw new InvalidOperationException("An update of the benchmark was taken for a duplicate.");
        }
        var acks = leased.Select(MenuAck).ToList();
        var settled = await queue.SettleAsync(acks, claim, "bench");
        leased = [.. settled.Claimed, .. settled.Acked.OfType<LeaseState.Next>().Select(n => n.Lease)];
        handed += leased.Count;
    }
    var last = await queue.SettleAsync([.. leased.Select(lease => new Ack(lease))], 0, "bench");
    var (depth, _) = await queue.SampleAsync();
    if (handed != sent || last.Acked.Any(state => state is not LeaseState.Drained) || depth != 0)
    {
        throw new InvalidOperationException($"The queue handed over {handed} entries of {sent} and kept {depth}: the benchmark did not run the mesh's path.");
    }
    return sent;

    // The acknowledgement of a handled /start: the menu's version, screen and message, written with it as the handler
    // writes it (the TTL renewed when the expiry read with the update says so). A private chat, whose one user is the chat.
    Ack MenuAck(ChatLease lease)
    {
        var chat = long.Parse(lease.ChatId, CultureInfo.InvariantCulture);
        var menu = lease.Snapshot is { } snapshot ? ConversationStore.Parse(snapshot.HashFields).Menu : default;
        return new Ack(lease, Writes: [store.MenuWrite(chat, chat, menu.Version + 1, "main", 4242, menu.HashExpiresAt)]);
    }
}

// The least durable work per update: stored by a transaction per batch, removed by one DEL per batch. The updates sent.
async Task<int> RunBaselineAsync(int count)
{
    var prefix = RedisServerFixture.NewKeyPrefix("qbase");
    var db = workers.GetDatabase();
    var keys = new RedisKey[batch];
    var sent = 0;
    for (; sent < count; sent += batch)
    {
        var store = db.CreateTransaction();
        for (var i = 0; i < batch; i++)
        {
            var updateId = 1_000_000L + sent + i;
            var chat = (sent + i) % chatCount + 1;
            keys[i] = prefix + "u:" + chat.ToString(CultureInfo.InvariantCulture);
            _ = store.StringSetAsync(keys[i], Payload(updateId, chat));
        }
        await store.ExecuteAsync();
        await db.KeyDeleteAsync(keys);
    }
    return sent;
}

// The floor of a redesign (see the top): the updates sent. One shard (one stream and its lease), as a replica holding every
// chat would have; the snapshot read and the menu write are the mesh's own keys and fields.
async Task<int> RunFloorAsync(int count)
{
    var prefix = RedisServerFixture.NewKeyPrefix("qfloor");
    var bot = Options.Create(new BotOptions { RedisKeyPrefix = prefix });
    var store = new ConversationStore(workers, bot, Options.Create(new ConversationOptions()), TimeProvider.System);
    var languages = new LanguageStore(workers, bot);
    var snapshotKeys = UserContext.SnapshotKeys(store, languages);
    var snapshotFields = snapshotKeys.HashFields.ToArray();
    var db = workers.GetDatabase();
    var intakeDb = intake.GetDatabase();
    RedisKey stream = prefix + "s:0", lease = prefix + "lease:0";
    await db.StreamCreateConsumerGroupAsync(stream, "w", StreamPosition.NewMessages, createStream: true);
    await db.StringSetAsync(lease, "bench", TimeSpan.FromSeconds(30));
    var leaseFor = TimeSpan.FromSeconds(30);
    var seen = new ChatQueue(workers, bot); // only for where an update_id's de-dup bit is, as the intake puts it
    List<(RedisValue Id, long Chat, RedisValue[] Fields)> handed = [];
    var sent = 0;
    var taken = 0;
    for (; sent < count; sent += batch)
    {
        var append = intakeDb.CreateBatch();
        var appended = new List<Task>(2 * batch);
        for (var i = 0; i < batch; i++)
        {
            var updateId = 1_000_000L + sent + i;
            var chat = (sent + i) % chatCount + 1;
            var (key, bit) = seen.SeenUpdate(updateId);
            appended.Add(append.StringSetBitAsync(key, bit, true));
            appended.Add(append.StreamAddAsync(stream, "e", Entry(updateId, chat)));
        }
        append.Execute();
        await Task.WhenAll(appended);
        floorCalls++;
        taken += await RoundAsync();
    }
    taken += await RoundAsync();
    if (taken != sent || await db.StreamLengthAsync(stream) != 0)
    {
        throw new InvalidOperationException($"The floor handed over {taken} entries of {sent}: the benchmark did not run the path.");
    }
    return sent;

    // Acknowledges the entries handed in the last round, with their menu writes, renews the lease, then reads the next
    // entries and their users' snapshots: the entries handed now.
    async Task<int> RoundAsync()
    {
        if (handed.Count > 0)
        {
            var ack = db.CreateBatch();
            var acked = new List<Task>(handed.Count + 3);
            foreach (var (_, chat, fields) in handed)
            {
                var menu = ConversationStore.Parse(fields).Menu;
                var write = store.MenuWrite(chat, chat, menu.Version + 1, "main", 4242, menu.HashExpiresAt);
                acked.Add(ack.HashSetAsync(write.Key, write.Fields));
                if (write.RenewTimeToLive)
                {
                    acked.Add(ack.KeyExpireAsync(write.Key, write.TimeToLive));
                }
            }
            RedisValue[] ids = [.. handed.Select(h => h.Id)];
            acked.Add(ack.StreamAcknowledgeAsync(stream, "w", ids));
            acked.Add(ack.StreamDeleteAsync(stream, ids));
            acked.Add(ack.StringSetAsync(lease, "bench", leaseFor, When.Exists));
            ack.Execute();
            await Task.WhenAll(acked);
            floorCalls++;
            handed = [];
        }
        var read = await db.StreamReadGroupAsync(stream, "w", "bench", StreamPosition.NewMessages, claim);
        floorCalls++;
        if (read.Length == 0)
        {
            return 0;
        }
        var snapshot = db.CreateBatch();
        var reads = new List<(long Chat, Task<RedisValue[]> Fields, Task<RedisValue> Language)>(read.Length);
        foreach (var entry in read)
        {
            var chat = ChatOf(entry["e"]);
            var chatText = chat.ToString(CultureInfo.InvariantCulture);
            reads.Add((chat, snapshot.HashGetAsync(snapshotKeys.HashKeyPrefix + chatText + snapshotKeys.HashKeySeparator + chatText, snapshotFields),
                snapshot.StringGetAsync(snapshotKeys.StringKeyPrefix + chatText)));
        }
        snapshot.Execute();
        floorCalls++;
        for (var i = 0; i < read.Length; i++)
        {
            handed.Add((read[i].Id, reads[i].Chat, await reads[i].Fields));
            _ = await reads[i].Language;
        }
        return read.Length;
    }

    // The entry as the mesh queues it: its header line (the chat in it, as a floor design would need it), then the update.
    static RedisValue Entry(long updateId, int chat) =>
        Encoding.UTF8.GetBytes(chat.ToString(CultureInfo.InvariantCulture) + " " + QueuedEntry.HeaderPrefix(EntryKind.Update, updateId.ToString(CultureInfo.InvariantCulture), null)
            + " 1700000000000\n" + UpdatePathHost.TextUpdate(updateId, chat, "/start"));

    static long ChatOf(RedisValue entry)
    {
        var bytes = (byte[])entry!;
        return long.Parse(bytes.AsSpan(0, bytes.AsSpan().IndexOf((byte)' ')), CultureInfo.InvariantCulture);
    }
}

async Task<Cost> MeasureAsync(Func<Task<int>> run)
{
    floorCalls = 0;
    await server.ExecuteAsync("CONFIG", "RESETSTAT");
    var cpu0 = ProcessCpu.Ticks(pid);
    var started = Stopwatch.GetTimestamp();
    double sent = await run();
    var wall = Stopwatch.GetElapsedTime(started);
    var cpu = ProcessCpu.Ticks(pid) - cpu0;
    var stats = ((string?)await server.ExecuteAsync("INFO", "commandstats") ?? "").Split('\n', StringSplitOptions.TrimEntries)
        .Where(l => l.StartsWith("cmdstat_", StringComparison.Ordinal) && !l.StartsWith("cmdstat_config", StringComparison.Ordinal))
        .ToDictionary(l => l["cmdstat_".Length..l.IndexOf(':')], l => (Calls: Field(l, "calls"), Usec: Field(l, "usec")));
    // A script's line counts the time of the commands it ran (measured: without the append-only file the scripts' time
    // barely moves while Redis's CPU drops by more than the commands' time), and those commands have lines of their own;
    // a transaction's EXEC does not count its commands' time. The calls are the scripts, or the transactions and DELs;
    // the commands are the rest, the wrappers (EVALSHA, MULTI, EXEC) aside.
    string[] wrappers = ["evalsha", "multi", "exec"];
    var scripts = stats.GetValueOrDefault("evalsha");
    var (calls, callTime) = floorCalls > 0 ? (floorCalls, stats.Values.Sum(s => s.Usec))
        : scripts.Calls > 0
        ? (scripts.Calls, scripts.Usec)
        : (stats.GetValueOrDefault("exec").Calls + stats.GetValueOrDefault("del").Calls, stats.Values.Sum(s => s.Usec));
    var commands = stats.Where(s => !wrappers.Contains(s.Key)).ToArray();
    return new Cost(cpu / ProcessCpu.TicksPerSecond * 1e6 / sent, callTime / sent, commands.Sum(s => s.Value.Usec) / sent, commands.Sum(s => s.Value.Calls) / sent, calls / sent, wall.TotalMicroseconds / sent);
}

// The /start update of the mesh's tests and benchmark.
static ReadOnlyMemory<byte> Payload(long updateId, int chat) => Encoding.UTF8.GetBytes(UpdatePathHost.TextUpdate(updateId, chat, "/start"));

string RedisVersion() => ((string?)server.Execute("INFO", "server") ?? "").Split('\n')
    .FirstOrDefault(l => l.StartsWith("redis_version:", StringComparison.Ordinal))?["redis_version:".Length..].Trim() ?? "?";

static long Field(string line, string name) =>
    long.Parse(line.Split(name + "=")[1].Split(',')[0], CultureInfo.InvariantCulture);

static double Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}

int Arg(string name, int fallback) => ArgText(name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

string? ArgText(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

/// <summary>
/// Per update: Redis's CPU time; Redis's time running the calls made (a script whole), and of it the time in the commands
/// themselves (the rest of a script's time is Lua and the calls' conversions); commands run; calls made; wall time.
/// </summary>
record Cost(double RedisCpuMicroseconds, double RedisCommandMicroseconds, double InCommandsMicroseconds, double Commands, double Calls, double WallMicroseconds);
