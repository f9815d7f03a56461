using System.Globalization;
using StackExchange.Redis;

namespace Mesh.Bot.Updates;

/// <summary>
/// An entry to append to a chat's queue: an update, de-duplicated on its update_id and placed by it, or a notification,
/// de-duplicated on its id and placed after the chat's last entry.
/// </summary>
public readonly record struct NewEntry
{
    NewEntry(string chatId, string headerPrefix, ReadOnlyMemory<byte> payload, long? updateId, string? notificationId)
    {
        ChatId = chatId;
        HeaderPrefix = headerPrefix;
        Payload = payload;
        UpdateId = updateId;
        NotificationId = notificationId;
    }

    public string ChatId { get; }

    /// <summary>The entry's header up to its enqueue time (<see cref="QueuedEntry.HeaderPrefix"/>).</summary>
    public string HeaderPrefix { get; }

    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>An update's update_id: its de-dup id and its position in the chat's queue.</summary>
    public long? UpdateId { get; }

    public string? NotificationId { get; }

    public static NewEntry Update(long updateId, string chatId, string headerPrefix, ReadOnlyMemory<byte> payload) =>
        new(chatId, headerPrefix, payload, updateId, null);

    public static NewEntry Notification(string notificationId, string chatId, string headerPrefix, ReadOnlyMemory<byte> payload) =>
        new(chatId, headerPrefix, payload, null, notificationId);
}

public sealed partial class ChatQueue
{
    // Appends entries, in order, each unless its de-dup id was seen (so an id twice in one call is queued once): one
    // round trip and one script run for a whole batch (the group commit of the webhook intake). An update's id is a bit
    // in a bitmap of 65,536 ids (SETBIT answers whether it was set: test and set in one command), kept for the de-dup
    // window after the last id set in it; a notification's is a key of its own. A chat that had no work joins the chats
    // ready after the reorder window; when any did, the batch is announced once, with how many. The answer is one
    // character per entry, '1' queued and '0' duplicate: one bulk string rather than an array to parse.
    // Update ids were once marked with a key each (seen:u:<id>): when such keys were there as the bitmaps were first used,
    // for one de-dup window after that a new update's id is also looked up among them (ARGV[4], the old keys' prefix; ''
    // otherwise), so an update queued before an upgrade is not queued again after it.
    // KEYS: chats, depth, then per entry seen, queue · ARGV: ttl s, wake channel, reorder window ms, old seen-key prefix,
    // then per entry header prefix, payload, chat, score ('' = after the chat's last entry), bit in the seen bitmap ('' =
    // a key of its own)
    const string EnqueueScript = Now + AfterLast + """
        local ttl, window, before = ARGV[1], tonumber(ARGV[3]), ARGV[4]
        -- Numbers formatted once per call, not once per entry (Redis prints a Lua number argument with printf).
        local stamp, readyAt = ' ' .. now .. '\n', tostring(now + window)
        local answers, queued, ready, kept = {}, 0, {}, {}
        for i = 1, (#KEYS - 2) / 2 do
          local a, seen = 5 * i, KEYS[2 * i + 1]
          local new
          if ARGV[a + 4] == '' then
            new = redis.call('SET', seen, '1', 'NX', 'EX', ttl)
          else
            new = redis.call('SETBIT', seen, ARGV[a + 4], 1) == 0
            -- The bitmap lives on for the window after its last new id (once per call).
            if new and not kept[seen] then kept[seen] = true redis.call('EXPIRE', seen, ttl) end
            if new and before ~= '' and redis.call('EXISTS', before .. ARGV[a + 3]) == 1 then new = false end
          end
          if new then
            local score = ARGV[a + 3]
            -- A key of another type fails at the ZADD, as it would for an update.
            if score == '' then score = afterLast(KEYS[2 * i + 2]) or 0 end
            redis.call('ZADD', KEYS[2 * i + 2], score, ARGV[a] .. stamp .. ARGV[a + 1])
            ready[#ready + 1] = readyAt
            ready[#ready + 1] = ARGV[a + 2]
            queued = queued + 1
            answers[i] = '1'
          else
            answers[i] = '0'
          end
        end
        if queued > 0 then
          redis.call('INCRBY', KEYS[2], queued)
          local woken = redis.call('ZADD', KEYS[1], 'NX', unpack(ready))
          if woken > 0 then redis.call('PUBLISH', ARGV[2], woken) end
        end
        return table.concat(answers)
        """;

    static readonly RedisScript Enqueue = new(EnqueueScript);

    /// <summary>Update ids per seen bitmap: 8 KiB each.</summary>
    const int SeenBitmapBits = 1 << 16;

    /// <summary>The seen bitmap holding <paramref name="updateId"/>, and its bit there.</summary>
    public (RedisKey Key, long Bit) SeenUpdate(long updateId)
    {
        // Update ids grow by one: a batch, and the batches after it, mostly fall in the bitmap of the last one.
        var number = updateId / SeenBitmapBits;
        var last = Volatile.Read(ref lastSeenBitmap);
        if (last?.Number != number)
        {
            last = new SeenBitmap(number, prefix + "seenu:" + number.ToString(CultureInfo.InvariantCulture));
            Volatile.Write(ref lastSeenBitmap, last);
        }
        return (last.Key, updateId % SeenBitmapBits);
    }

    sealed record SeenBitmap(long Number, RedisKey Key);

    SeenBitmap? lastSeenBitmap;

    /// <summary>
    /// Since when (ms since 1970) update ids are marked in bitmaps on this Redis, under this prefix, when keys of the old
    /// layout were there at that moment; 0 when there were none. Set once, kept.
    /// </summary>
    RedisKey BitmapsSinceKey => prefix + "seen-bitmaps-since";

    /// <summary>Until when (ms since 1970) new update ids are also looked up under the old layout; 0: not read yet.</summary>
    long oldLayoutUntil;

    /// <summary>The old layout's key prefix: a key per update id.</summary>
    readonly string oldSeenPrefix = options.Value.RedisKeyPrefix + "seen:u:";

    /// <summary>
    /// The old keys' prefix while one de-dup window has not passed since the bitmaps were first used here, when the old
    /// layout was in use then; else ''. The first call records (or reads) that moment; later calls compare the clock.
    /// </summary>
    async Task<string> OldSeenPrefixAsync()
    {
        var until = Volatile.Read(ref oldLayoutUntil);
        if (until == 0)
        {
            var db = intakeRedis.GetDatabase();
            if (!await db.KeyExistsAsync(BitmapsSinceKey))
            {
                var since = await AnyOldSeenKeyAsync(db) ? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() : 0;
                await db.StringSetAsync(BitmapsSinceKey, since, when: When.NotExists);
            }
            var recorded = (long)await db.StringGetAsync(BitmapsSinceKey);
            until = recorded == 0 ? -1 : recorded + dedupSeconds * 1000;
            Volatile.Write(ref oldLayoutUntil, until);
        }
        return DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() < until ? oldSeenPrefix : "";
    }

    /// <summary>
    /// Whether any update id is marked the old way (a key each) under this prefix. The scan stops at the first one; after
    /// 100,000 keys without an answer it says yes, which costs only one key lookup per new update for one window.
    /// </summary>
    async Task<bool> AnyOldSeenKeyAsync(IDatabase db)
    {
        var cursor = "0";
        for (var page = 0; page < 100; page++)
        {
            var reply = (RedisResult[])(await db.ExecuteAsync("SCAN", cursor, "MATCH", oldSeenPrefix + "*", "COUNT", 1000))!;
            if (((RedisResult[])reply[1]!).Length > 0)
            {
                return true;
            }
            cursor = (string)reply[0]!;
            if (cursor == "0")
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Appends an entry to its chat's queue unless its de-dup id was seen; false for a duplicate.</summary>
    public async Task<bool> EnqueueAsync(NewEntry entry) => (await EnqueueManyAsync([entry]))[0];

    /// <summary>
    /// Appends every entry not seen before to its chat's queue, in one script call (one round trip, atomic), in this
    /// order. Answers per entry, in order: true queued, false duplicate (seen before, or earlier in <paramref name="entries"/>).
    /// </summary>
    public async Task<bool[]> EnqueueManyAsync(IReadOnlyList<NewEntry> entries)
    {
        if (entries.Count == 0)
        {
            return [];
        }
        var keys = new RedisKey[2 + 2 * entries.Count];
        var values = new RedisValue[4 + 5 * entries.Count];
        keys[0] = chats;
        keys[1] = depth;
        values[0] = dedupSeconds;
        values[1] = wakeChannelName;
        values[2] = windowMs;
        values[3] = await OldSeenPrefixAsync();
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            // An update_id below 0 (never from Telegram) gets a key of its own: a bit has no negative position.
            var (seen, bit) = entry.UpdateId is >= 0 and var id ? SeenUpdate(id)
                : (prefix + (entry.NotificationId is { } notification ? "seen:n:" + notification : "seen:update:" + entry.UpdateId?.ToString(CultureInfo.InvariantCulture)), -1);
            keys[2 + 2 * i] = seen;
            keys[3 + 2 * i] = QueueKey(entry.ChatId);
            values[4 + 5 * i] = entry.HeaderPrefix;
            values[5 + 5 * i] = entry.Payload;
            values[6 + 5 * i] = entry.ChatId;
            values[7 + 5 * i] = entry.UpdateId is { } order ? order : "";
            values[8 + 5 * i] = bit >= 0 ? bit : "";
        }
        var answers = (string?)await Enqueue.EvaluateAsync(intakeRedis.GetDatabase(), keys, values) ?? "";
        if (answers.Length != entries.Count)
        {
            throw new InvalidOperationException($"The enqueue script answered for {answers.Length} of {entries.Count} entries.");
        }
        var queued = new bool[entries.Count];
        for (var i = 0; i < queued.Length; i++)
        {
            queued[i] = answers[i] == '1';
        }
        return queued;
    }
}
