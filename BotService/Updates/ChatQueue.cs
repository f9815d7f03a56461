using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Mesh.Bot.Updates;

/// <summary>The oldest entry of a chat's queue.</summary>
public readonly record struct Head(ReadOnlyMemory<byte> Entry);

/// <summary>A chat leased to this replica: its head entry, tried <paramref name="Tries"/> times, and the lease's token.</summary>
public sealed record ChatLease(string ChatId, string Token, Head Head, long Tries)
{
    /// <summary>The chat's values read with its head entry (<see cref="ChatSnapshotKeys"/>); null when none were read.</summary>
    public ChatSnapshot? Snapshot { get; init; }
}

/// <summary>
/// What the workers' settle script reads for an update of a private chat (a positive id: its one user is the chat
/// itself) when it hands the chat's head entry over: <see cref="HashFields"/> of the hash
/// <c>HashKeyPrefix + chat + HashKeySeparator + chat</c> and the string <c>StringKeyPrefix + chat</c> (the user's
/// conversation state and language, <see cref="Conversations.UserContext"/>). The handler then starts without a round
/// trip of its own. The values are as fresh as a read at the handler's start would be: the writes that go with an
/// acknowledgement are applied before the script reads the next entry's, and the handler starts as soon as the script
/// answers. What others write meanwhile (an operator clearing conversations, the user choosing a language in a group)
/// races with the handler as it would with its own read. A key of another type makes the script read nothing for that
/// chat (the handler then reads for itself, and fails there), never fail the round.
/// </summary>
public sealed record ChatSnapshotKeys(string HashKeyPrefix, string HashKeySeparator, IReadOnlyList<RedisValue> HashFields, string StringKeyPrefix);

/// <summary>The values of <see cref="ChatSnapshotKeys"/> for one chat, as they were when its head entry was handed over.</summary>
public sealed record ChatSnapshot(RedisValue[] HashFields, RedisValue String);

/// <summary>A handled head entry to remove (to the dead-letter list with <paramref name="DeadLetterNote"/>).</summary>
/// <param name="Writes">The handler's writes, applied with the acknowledgement while the lease holds (<see cref="BotContext.WriteWithAck"/>).</param>
public readonly record struct Ack(ChatLease Lease, string? DeadLetterNote = null, IReadOnlyList<HashWrite>? Writes = null);

/// <summary>
/// Fields set in a hash, with its time to live: a handler's write that goes with its acknowledgement. The time to live
/// is set whenever the write adds a field (a new hash gets one, always), and on a hash that had every field already
/// only when <paramref name="RenewTimeToLive"/>: a writer that knows the hash's expiry is still far off leaves it be,
/// which spares Redis a command (<see cref="Conversations.ConversationStore.MenuWrite"/>).
/// </summary>
public sealed record HashWrite(RedisKey Key, HashEntry[] Fields, TimeSpan TimeToLive, bool RenewTimeToLive = true)
{
    public HashEntry[] Fields { get; } = Fields.Length > 0 ? Fields : throw new ArgumentException("A hash write sets at least one field.", nameof(Fields));

    /// <summary>At least a millisecond: Redis takes it in whole milliseconds, and 0 would delete the hash just written.</summary>
    public TimeSpan TimeToLive { get; } = TimeToLive >= TimeSpan.FromMilliseconds(1) ? TimeToLive
        : throw new ArgumentOutOfRangeException(nameof(TimeToLive), TimeToLive, "A hash write's time to live must be at least a millisecond.");
}

/// <summary>What a worker got when it asked for work.</summary>
public abstract record Claim
{
    /// <summary>A chat is now leased to the caller.</summary>
    public sealed record Leased(ChatLease Lease) : Claim
    {
        public Head Head => Lease.Head;

        public long Tries => Lease.Tries;
    }

    /// <summary>Nothing is ready; the next chat becomes ready after <paramref name="NextDue"/> (null: no chat has work).</summary>
    public sealed record Idle(TimeSpan? NextDue) : Claim;
}

/// <summary>What happened to a lease after its head entry was acknowledged.</summary>
public abstract record LeaseState
{
    /// <summary>The lease is still ours and the chat's next entry is ready.</summary>
    public sealed record Next(ChatLease Lease) : LeaseState
    {
        public Head Head => Lease.Head;
    }

    /// <summary>The chat has nothing more ready; the lease is released.</summary>
    public sealed record Drained : LeaseState;

    /// <summary>Another worker took the chat over (our lease expired); we must stop.</summary>
    public sealed record Lost : LeaseState;
}

/// <summary>The answer to <see cref="ChatQueue.SettleAsync"/>: per acknowledgement in order, then the newly leased chats.</summary>
/// <param name="NextDue">How soon a chat this call put off becomes ready (its next entry was still in its reorder window)
/// or, when fewer chats were ready than asked for, how soon the next chat of all does; null: none.</param>
/// <param name="WriteError">Redis's error for the first of the acknowledgements' writes that failed (a key of another
/// type); the acknowledgements stand.</param>
public sealed record Settlement(LeaseState[] Acked, ChatLease[] Claimed, TimeSpan? NextDue, string? WriteError = null);

/// <summary>
/// The durable per-chat queues in Redis. Every operation is one Lua script, so one round trip and atomic; the workers'
/// (<see cref="SettleAsync"/>) acknowledges and leases many chats at once. Keys (under <see cref="BotOptions.RedisKeyPrefix"/>):
/// <c>seenu:&lt;update_id ÷ 65,536&gt;</c> bitmaps of the update_ids seen (<see cref="SeenUpdate"/>; a negative id:
/// <c>seen:update:&lt;id&gt;</c>) and <c>seen:n:&lt;notification id&gt;</c> markers, with a TTL; <c>seen-bitmaps-since</c>
/// when the bitmaps were first used (to honour the old layout's keys for one window); <c>q:&lt;chat&gt;</c> a sorted set
/// per chat, ordered by update_id (Telegram may deliver one chat's updates concurrently and out of order; an entry is
/// taken only after <see cref="BotOptions.ReorderWindow"/>, so late lower ids still go first); <c>chats</c> a sorted set
/// of chats with work, scored by when they may next be claimed (ready time when free, the lease expiry when leased: the
/// lease is the score); <c>leases</c> chat → holder token; <c>tries</c> chat → tries of its head entry; <c>errors</c>
/// chat → last handler error of its head entry (gone once the entry is acknowledged); <c>deadletter</c> a list; <c>depth</c> a counter. New work is announced on the channel
/// <c>wake</c>.
/// </summary>
/// <param name="intakeRedis">The connection the appends go through (<see cref="EnqueueManyAsync"/>): a connection of
/// their own in the service (<see cref="IntakeConnection"/>), so an acknowledgement never queues in the client behind
/// the workers' traffic; the same as <paramref name="redis"/> when given one.</param>
/// <param name="snapshotKeys">What to read with each head entry handed to a worker (<see cref="ChatLease.Snapshot"/>); null: nothing.</param>
public sealed partial class ChatQueue(IConnectionMultiplexer redis, IConnectionMultiplexer intakeRedis, IOptions<BotOptions> options, ChatSnapshotKeys? snapshotKeys = null)
{
    /// <summary>The service key of the intake's own Redis connection (the connection string is the same: <c>redis</c>).</summary>
    public const string IntakeConnection = "redis";

    /// <summary>A queue whose appends share the workers' connection (tests, tools).</summary>
    public ChatQueue(IConnectionMultiplexer redis, IOptions<BotOptions> options)
        : this(redis, redis, options)
    {
    }

    const string Now = "local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) ";

    // The score that places an entry after the last of queue q, before the next update_id: a 1024th on, so a run of
    // entries placed so keeps the order they came in (equal scores would sort by the entries' bytes); past 1023 of them
    // behind one update they share the last place. Nil when q is a key of another type.
    const string AfterLast = """
        local function afterLast(q)
          local last = redis.pcall('ZRANGE', q, -1, -1, 'WITHSCORES')
          if last.err then return nil end
          if #last == 0 then return 0 end
          local s = tonumber(last[2])
          return math.min(s + 1 / 1024, math.floor(s) + 1023 / 1024)
        end

        """;

    // The enqueue time is the last field of an entry's header line: milliseconds since 1970, 13 digits (until 2286).
    // Read by position: a pattern match on the header costs several times more under Lua. A header that does not end
    // so reads as 0 (long ready): the worker that takes the entry finds it unreadable and dead-letters it, rather than
    // every call that meets it failing on a nil.
    const string EnqueuedAt = "local function enqueued(e) local nl = string.find(e, '\\n', 1, true) return nl and tonumber(string.sub(e, math.max(1, nl - 13), nl - 1)) or 0 end ";

    // Acknowledges handled head entries, then leases up to a number of ready chats: the workers' one call per round.
    // Commands that take many members (HMGET, HDEL, ZADD, HSET, ZREM) go once per call rather than once per chat.
    // With each entry it hands over, it reads the chat's snapshot (ChatSnapshotKeys) for a private chat.
    // An acknowledged entry takes its chat's last handler error (errors) with it: the next entry's failures are its own.
    // A dead letter is '<chat> <note>\n<entry>' (a note has no line break); the list keeps the newest ARGV[8] of them.
    // KEYS: chats, leases, tries, depth, deadletter, errors
    // ARGV: prefix, lease ms, reorder window ms, chats to claim, token prefix, first token number, acks, dead letters kept,
    //   snapshot hash key prefix ('' = no snapshots), its separator, snapshot string key prefix, snapshot field count n, the n fields, then
    //   per ack: chat, token, entry (the member itself), dead-letter note ('' = a plain ack), count of its writes, then per
    //   write: hash key, ttl ms, renew ('1': set the ttl even when no field was added), field count m, the m fields and
    //   values (field, value, field, value…)
    // → {ms until the soonest chat this call put off (an entry still in its reorder window) or, when fewer chats were ready
    //   than asked for, the next chat of all is due; -1 none; the first write's error or ''; then per ack: 0 lost |
    //   1 released | 2 entry tries snapshot, then per claim: chat token entry tries snapshot}, a snapshot
    //   being 0 (none read) or 1, the n fields' values, the string's value
    const string SettleScript = Now + EnqueuedAt + """
        local prefix, lease, window = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
        -- The lease expiry as a string, formatted once (Redis prints each Lua number argument with printf).
        local leasedUntil = tostring(now + lease)
        local out = {-1, ''}
        local deadLetters = tonumber(ARGV[8])
        local hashPrefix, separator, stringPrefix, fieldCount = ARGV[9], ARGV[10], ARGV[11], tonumber(ARGV[12])
        local fields = {}
        for i = 1, fieldCount do fields[i] = ARGV[12 + i] end
        local firstAck = 13 + fieldCount -- the first acknowledgement's arguments
        -- The snapshot of a chat handed over with its head entry: for an update ('u'…) of a private chat (not '-'…: a
        -- group's id is negative). A key of another type reads as none (pcall), so one odd key never fails the round.
        local function snapshot(chat, entry)
          if hashPrefix == '' or string.byte(chat, 1) == 45 or string.byte(entry, 1) ~= 117 then out[#out + 1] = 0 return end
          local values = redis.pcall('HMGET', hashPrefix .. chat .. separator .. chat, unpack(fields))
          local text = redis.pcall('GET', stringPrefix .. chat)
          if values.err or (type(text) == 'table' and text.err) then out[#out + 1] = 0 return end
          out[#out + 1] = 1
          for i = 1, fieldCount do out[#out + 1] = values[i] end
          out[#out + 1] = text
        end
        -- Chats whose next entry is still in its reorder window: rescored to when it ends (once, at the end).
        local later, soonest = {}, nil
        local function due(at) if soonest == nil or at < soonest then soonest = at end end
        local function putoff(ready, chat) later[#later + 1] = ready later[#later + 1] = chat due(ready) end
        local acks, acked = tonumber(ARGV[7]), 0
        local drained, released, kept, restart, settled = {}, {}, {}, {}, {}
        if acks > 0 then
          -- Where each acknowledgement's arguments start (its writes make them of different lengths).
          local chats, starts, a = {}, {}, firstAck
          for i = 1, acks do
            chats[i], starts[i] = ARGV[a], a
            local w = a + 5
            for _ = 1, tonumber(ARGV[a + 4]) do w = w + 4 + 2 * tonumber(ARGV[w + 3]) end
            a = w
          end
          local holders = redis.call('HMGET', KEYS[2], unpack(chats))
          for i = 1, acks do
            local a = starts[i]
            local chat = ARGV[a]
            if holders[i] ~= ARGV[a + 1] then
              out[#out + 1] = 0
            else
              -- The handler's writes, only while the chat is still ours; a key of another type fails its write alone.
              -- The time to live is set when asked, and whenever the write added a field: a hash created by it (say,
              -- after an operator cleared the old one) never lives on without one.
              local w = a + 5
              for _ = 1, tonumber(ARGV[a + 4]) do
                local m = tonumber(ARGV[w + 3])
                local set = redis.pcall('HSET', ARGV[w], unpack(ARGV, w + 4, w + 3 + 2 * m))
                if type(set) == 'table' and set.err then
                  if out[2] == '' then out[2] = set.err end
                elseif set > 0 or ARGV[w + 2] == '1' then
                  redis.call('PEXPIRE', ARGV[w], ARGV[w + 1])
                end
                w = w + 4 + 2 * m
              end
              settled[#settled + 1] = chat
              local q = prefix .. 'q:' .. chat
              if redis.call('ZREM', q, ARGV[a + 2]) == 1 then
                acked = acked + 1
                if ARGV[a + 3] ~= '' then
                  local letters = redis.call('RPUSH', KEYS[5], chat .. ' ' .. ARGV[a + 3] .. '\n' .. ARGV[a + 2])
                  -- At most 100 of the oldest dropped per letter added: a list grown long before the limit shrinks over
                  -- several rounds rather than hold Redis in one.
                  if letters > deadLetters then redis.call('LPOP', KEYS[5], math.min(letters - deadLetters, 100)) end
                end
              end
              local head = redis.call('ZRANGE', q, '0', '0')
              local ready = #head > 0 and enqueued(head[1]) + window or nil
              if ready == nil then
                drained[#drained + 1] = chat
                released[#released + 1] = chat
                out[#out + 1] = 1
              elseif ready > now then
                putoff(ready, chat)
                released[#released + 1] = chat
                out[#out + 1] = 1
              else
                kept[#kept + 1] = leasedUntil kept[#kept + 1] = chat
                restart[#restart + 1] = chat restart[#restart + 1] = '1'
                out[#out + 1] = 2 out[#out + 1] = head[1] out[#out + 1] = 1
                snapshot(chat, head[1])
              end
            end
          end
          if acked > 0 then redis.call('DECRBY', KEYS[4], acked) end
          if #settled > 0 then redis.call('HDEL', KEYS[6], unpack(settled)) end
          if #drained > 0 then redis.call('ZREM', KEYS[1], unpack(drained)) end
          if #released > 0 then redis.call('HDEL', KEYS[2], unpack(released)) redis.call('HDEL', KEYS[3], unpack(released)) end
          if #kept > 0 then redis.call('ZADD', KEYS[1], unpack(kept)) end
        end

        local want = tonumber(ARGV[4])
        local claimed = 0
        if want > 0 then
          local candidates = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', tostring(now), 'LIMIT', '0', ARGV[4])
          if #candidates > 0 then
            local counts = redis.call('HMGET', KEYS[3], unpack(candidates))
            local gone, leased, holders = {}, {}, {}
            local number = tonumber(ARGV[6])
            for i, chat in ipairs(candidates) do
              local head = redis.call('ZRANGE', prefix .. 'q:' .. chat, '0', '0')
              if #head == 0 then
                gone[#gone + 1] = chat
              else
                local ready = enqueued(head[1]) + window
                if ready > now then
                  putoff(ready, chat)
                else
                  local token = ARGV[5] .. ':' .. (number + i)
                  local tries = tonumber(counts[i] or '0') + 1
                  leased[#leased + 1] = leasedUntil leased[#leased + 1] = chat
                  holders[#holders + 1] = chat holders[#holders + 1] = token
                  restart[#restart + 1] = chat restart[#restart + 1] = tries
                  out[#out + 1] = chat out[#out + 1] = token out[#out + 1] = head[1] out[#out + 1] = tries
                  snapshot(chat, head[1])
                  claimed = claimed + 1
                end
              end
            end
            if #gone > 0 then redis.call('ZREM', KEYS[1], unpack(gone)) redis.call('HDEL', KEYS[2], unpack(gone)) redis.call('HDEL', KEYS[3], unpack(gone)) end
            if #leased > 0 then
              redis.call('ZADD', KEYS[1], unpack(leased))
              redis.call('HSET', KEYS[2], unpack(holders))
            end
          end
          if claimed < want then
            local first = redis.call('ZRANGE', KEYS[1], '0', '0', 'WITHSCORES')
            if #first > 0 then due(tonumber(first[2])) end
          end
        end
        if soonest then out[1] = math.max(0, soonest - now) end
        if #later > 0 then redis.call('ZADD', KEYS[1], unpack(later)) end
        if #restart > 0 then redis.call('HSET', KEYS[3], unpack(restart)) end
        return out
        """;

    static readonly RedisScript Settle = new(SettleScript);

    static readonly RedisValue Renew = "1", KeepTimeToLive = "0";

    // KEYS: chats, leases, errors · ARGV: chat, token, delay ms, error
    const string ReleaseScript = Now + """
        if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
        redis.call('HSET', KEYS[3], ARGV[1], ARGV[4])
        redis.call('HDEL', KEYS[2], ARGV[1])
        redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
        return 1
        """;

    // KEYS: chats, leases · ARGV: lease ms, then per lease chat, token → per lease 1 renewed | 0 lost
    const string RenewScript = Now + """
        local leasedUntil = tostring(now + tonumber(ARGV[1]))
        local out = {}
        for i = 2, #ARGV, 2 do
          if redis.call('HGET', KEYS[2], ARGV[i]) == ARGV[i + 1] then
            redis.call('ZADD', KEYS[1], 'XX', leasedUntil, ARGV[i])
            out[#out + 1] = 1
          else
            out[#out + 1] = 0
          end
        end
        return out
        """;

    // KEYS: chats, depth · ARGV: prefix, sample size → {depth, oldest enqueue ms or -1, now}
    const string SampleScript = Now + EnqueuedAt + """
        local oldest = -1
        for _, chat in ipairs(redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)) do
          local head = redis.call('ZRANGE', ARGV[1] .. 'q:' .. chat, 0, 0)
          if #head > 0 then
            local ms = enqueued(head[1])
            if ms > 0 and (oldest < 0 or ms < oldest) then oldest = ms end
          end
        end
        return {tonumber(redis.call('GET', KEYS[2]) or '0'), oldest, now}
        """;

    readonly string prefix = options.Value.RedisKeyPrefix;
    readonly long leaseMs = (long)options.Value.LeaseDuration.TotalMilliseconds;
    readonly RedisKey chats = options.Value.RedisKeyPrefix + "chats";
    readonly RedisKey leases = options.Value.RedisKeyPrefix + "leases";
    readonly RedisKey tries = options.Value.RedisKeyPrefix + "tries";
    readonly RedisKey errors = options.Value.RedisKeyPrefix + "errors";
    readonly RedisKey depth = options.Value.RedisKeyPrefix + "depth";
    readonly RedisKey deadLetter = options.Value.RedisKeyPrefix + "deadletter";
    readonly string wakeChannelName = options.Value.RedisKeyPrefix + "wake";
    readonly long windowMs = (long)options.Value.ReorderWindow.TotalMilliseconds;
    readonly long dedupSeconds = (long)options.Value.DeduplicationWindow.TotalSeconds;
    readonly long deadLetterLimit = options.Value.DeadLetterLimit;
    long tokenNumber;

    // The settle script's snapshot arguments (ARGV[9..]), the same in every call: hash key prefix ('' = none), separator,
    // string key prefix, field count, the fields.
    readonly RedisValue[] snapshotArguments = snapshotKeys is null
        ? ["", "", "", 0]
        : [snapshotKeys.HashKeyPrefix, snapshotKeys.HashKeySeparator, snapshotKeys.StringKeyPrefix, snapshotKeys.HashFields.Count, .. snapshotKeys.HashFields];

    public RedisChannel WakeChannel => RedisChannel.Literal(wakeChannelName);

    public RedisKey QueueKey(string chatId) => prefix + "q:" + chatId;

    public RedisKey DeadLetterKey => deadLetter;

    IDatabase Db => redis.GetDatabase();

    /// <summary>
    /// In one round trip: removes each acknowledged head entry (to the dead-letter list when its note is given) and
    /// keeps the lease when the chat's next entry is ready (<see cref="LeaseState.Next"/>, same token) or releases it;
    /// then leases up to <paramref name="claim"/> more ready chats, each under a new token that starts with
    /// <paramref name="holder"/>. An acknowledgement's writes (<see cref="Ack.Writes"/>) are applied first, while its lease holds.
    /// </summary>
    public async Task<Settlement> SettleAsync(IReadOnlyList<Ack> acks, int claim, string holder)
    {
        var keys = new RedisKey[] { chats, leases, tries, depth, deadLetter, errors };
        var fieldCount = snapshotArguments.Length - 4;
        var first = 8 + snapshotArguments.Length; // the first acknowledgement's arguments
        var count = first;
        for (var i = 0; i < acks.Count; i++)
        {
            count += 5;
            for (var w = 0; w < (acks[i].Writes?.Count ?? 0); w++)
            {
                count += 4 + 2 * acks[i].Writes![w].Fields.Length;
            }
        }
        var values = new RedisValue[count];
        values[0] = prefix;
        values[1] = leaseMs;
        values[2] = windowMs;
        values[3] = claim;
        values[4] = holder;
        values[5] = Interlocked.Add(ref tokenNumber, Math.Max(claim, 0)) - claim;
        values[6] = acks.Count;
        values[7] = deadLetterLimit;
        snapshotArguments.CopyTo(values, 8);
        var v = first;
        for (var i = 0; i < acks.Count; i++)
        {
            var ack = acks[i];
            values[v++] = ack.Lease.ChatId;
            values[v++] = ack.Lease.Token;
            values[v++] = ack.Lease.Head.Entry;
            values[v++] = ack.DeadLetterNote?.ReplaceLineEndings(" ") ?? "";
            values[v++] = ack.Writes?.Count ?? 0;
            for (var w = 0; w < (ack.Writes?.Count ?? 0); w++)
            {
                var write = ack.Writes![w];
                values[v++] = (string?)write.Key;
                values[v++] = (long)write.TimeToLive.TotalMilliseconds;
                values[v++] = write.RenewTimeToLive ? Renew : KeepTimeToLive;
                values[v++] = write.Fields.Length;
                foreach (var field in write.Fields)
                {
                    values[v++] = field.Name;
                    values[v++] = field.Value;
                }
            }
        }

        var result = (RedisResult[])(await Settle.EvaluateAsync(Db, keys, values))!;
        var nextDue = (long)result[0];
        var writeError = (string?)result[1];
        var acked = new LeaseState[acks.Count];
        var p = 2;
        for (var i = 0; i < acks.Count; i++)
        {
            acked[i] = (long)result[p++] switch
            {
                0 => new LeaseState.Lost(),
                1 => new LeaseState.Drained(),
                _ => new LeaseState.Next(acks[i].Lease with
                {
                    Head = new Head((byte[])result[p++]!),
                    Tries = (long)result[p++],
                    Snapshot = ReadSnapshot(result, ref p, fieldCount),
                }),
            };
        }
        var claimed = new List<ChatLease>();
        while (p < result.Length)
        {
            var (chat, token, head, tries) = ((string)result[p]!, (string)result[p + 1]!, new Head((byte[])result[p + 2]!), (long)result[p + 3]);
            p += 4;
            claimed.Add(new ChatLease(chat, token, head, tries) { Snapshot = ReadSnapshot(result, ref p, fieldCount) });
        }
        return new Settlement(acked, [.. claimed], nextDue < 0 ? null : TimeSpan.FromMilliseconds(nextDue), string.IsNullOrEmpty(writeError) ? null : writeError);
    }

    /// <summary>A snapshot in the settle script's answer at <paramref name="p"/> (0, or 1 and its values), moving past it.</summary>
    static ChatSnapshot? ReadSnapshot(RedisResult[] result, ref int p, int fieldCount)
    {
        if ((long)result[p++] == 0)
        {
            return null;
        }
        var fields = new RedisValue[fieldCount];
        for (var i = 0; i < fieldCount; i++)
        {
            fields[i] = (RedisValue)result[p++];
        }
        return new ChatSnapshot(fields, (RedisValue)result[p++]);
    }

    /// <summary>Leases the first ready chat, if any (<see cref="SettleAsync"/> for one chat and no acknowledgement).</summary>
    public async Task<Claim> ClaimAsync(string holder)
    {
        var settled = await SettleAsync([], 1, holder);
        return settled.Claimed.Length > 0 ? new Claim.Leased(settled.Claimed[0]) : new Claim.Idle(settled.NextDue);
    }

    /// <summary>Acknowledges one handled head entry (<see cref="SettleAsync"/> for one acknowledgement and no claim).</summary>
    public async Task<LeaseState> AckAsync(ChatLease lease, string? deadLetterNote = null) =>
        (await SettleAsync([new Ack(lease, deadLetterNote)], 0, "")).Acked[0];

    /// <summary>Gives the chat back with its head entry still queued, to be tried again after <paramref name="delay"/>.</summary>
    public async Task ReleaseAsync(ChatLease lease, TimeSpan delay, string error) =>
        await Db.ScriptEvaluateAsync(ReleaseScript, [chats, leases, errors],
            [lease.ChatId, lease.Token, (long)delay.TotalMilliseconds, error]);

    /// <summary>Extends the leases still held, in one round trip; per lease, in order, false when it was lost.</summary>
    public async Task<bool[]> RenewAsync(IReadOnlyList<ChatLease> held)
    {
        var values = new RedisValue[1 + 2 * held.Count];
        values[0] = leaseMs;
        for (var i = 0; i < held.Count; i++)
        {
            values[1 + 2 * i] = held[i].ChatId;
            values[2 + 2 * i] = held[i].Token;
        }
        var renewed = (RedisResult[])(await Db.ScriptEvaluateAsync(RenewScript, [chats, leases], values))!;
        return [.. renewed.Select(r => (long)r == 1)];
    }

    public async Task<string?> LastErrorAsync(string chatId) => await Db.HashGetAsync(errors, chatId);

    /// <summary>Total queued entries and the age of the oldest among the next <paramref name="sample"/> chats.</summary>
    public async Task<(long Depth, TimeSpan? OldestAge)> SampleAsync(int sample = 20)
    {
        var result = (RedisResult[])(await Db.ScriptEvaluateAsync(SampleScript, [chats, depth], [prefix, sample]))!;
        var oldest = (long)result[1];
        return ((long)result[0], oldest < 0 ? null : TimeSpan.FromMilliseconds(Math.Max(0, (long)result[2] - oldest)));
    }
}
