using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Mesh.Bot.Updates;

/// <summary>The oldest entry of a chat and its position (update_id) in the chat's queue.</summary>
public readonly record struct Head(ReadOnlyMemory<byte> Entry, long Order);

/// <summary>What a worker got when it asked for work.</summary>
public abstract record Claim
{
    /// <summary>A chat is now leased to the caller; <paramref name="Head"/> is its oldest entry, tried <paramref name="Tries"/> times.</summary>
    public sealed record Leased(string ChatId, Head Head, long Tries) : Claim;

    /// <summary>Nothing is ready; the next leased chat becomes free after <paramref name="NextDue"/> (null: no chat has work).</summary>
    public sealed record Idle(TimeSpan? NextDue) : Claim;
}

/// <summary>What happened to a lease after the worker acknowledged or gave back an entry.</summary>
public abstract record LeaseState
{
    /// <summary>The lease is still ours and the chat has this next entry.</summary>
    public sealed record Next(Head Head, long Tries) : LeaseState;

    /// <summary>The chat's queue is empty; the lease is released.</summary>
    public sealed record Drained : LeaseState;

    /// <summary>Another worker took the chat over (our lease expired); we must stop.</summary>
    public sealed record Lost : LeaseState;

    /// <summary>The chat had nothing more ready and was released; the caller now holds this other chat.</summary>
    public sealed record Moved(Claim.Leased Claim) : LeaseState;
}

/// <summary>
/// The durable per-chat queues in Redis. Every operation is one Lua script, so one round trip and atomic.
/// Keys (under <see cref="BotOptions.RedisKeyPrefix"/>): <c>seen:&lt;id&gt;</c> de-dup markers with a TTL; <c>q:&lt;chat&gt;</c> a sorted set
/// per chat, ordered by update_id (Telegram may deliver one chat's updates concurrently and out of order; an entry is
/// taken only after <see cref="BotOptions.ReorderWindow"/>, so late lower ids still go first); <c>chats</c> a sorted set of chats with work, scored by when they may next be claimed (now when free,
/// the lease expiry when leased: the lease is the score); <c>leases</c> chat → holder token; <c>tries</c> chat → tries
/// of its head entry; <c>errors</c> chat → last handler error; <c>deadletter</c> a list; <c>depth</c> a counter.
/// New work is announced on the channel <c>wake</c>.
/// </summary>
public sealed partial class ChatQueue(IConnectionMultiplexer redis, IOptions<BotOptions> options)
{
    const string Now = "local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) ";

    // The enqueue time is the last field of an entry's header line.
    const string EnqueuedAt = "local function enqueued(e) local nl = string.find(e, '\\n', 1, true) return tonumber(string.match(string.sub(e, 1, nl - 1), '(%d+)$')) end ";

    // KEYS: seen, queue, chats, depth · ARGV: ttl s, header prefix, payload, chat, wake channel, score (update_id; '' = after the last), reorder window ms
    const string EnqueueScript = Now + """
        if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
        local score = ARGV[6]
        if score == '' then
          local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
          score = (#last == 0) and 0 or math.floor(tonumber(last[2]))
        end
        redis.call('ZADD', KEYS[2], score, ARGV[2] .. ' ' .. now .. '\n' .. ARGV[3])
        redis.call('INCR', KEYS[4])
        if redis.call('ZADD', KEYS[3], 'NX', now + tonumber(ARGV[7]), ARGV[4]) == 1 then redis.call('PUBLISH', ARGV[5], ARGV[4]) end
        return 1
        """;

    // Takes the first ready chat for a worker: KEYS[1..3] are chats, leases, tries in every script that uses it.
    const string ClaimFunction = """
        local function claim(prefix, lease, token, window)
          for i = 1, 8 do
            local c = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 1)
            if #c == 0 then
              local n = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
              if #n == 0 then return {0} end
              return {1, tonumber(n[2]) - now}
            end
            local chat = c[1]
            local head = redis.call('ZRANGE', prefix .. 'q:' .. chat, 0, 0, 'WITHSCORES')
            if #head == 0 then
              redis.call('ZREM', KEYS[1], chat)
              redis.call('HDEL', KEYS[2], chat)
            elseif enqueued(head[1]) + window > now then
              redis.call('ZADD', KEYS[1], enqueued(head[1]) + window, chat)
            else
              redis.call('ZADD', KEYS[1], now + lease, chat)
              redis.call('HSET', KEYS[2], chat, token)
              local tries = redis.call('HINCRBY', KEYS[3], chat, 1)
              return {2, chat, head[1], tries, head[2]}
            end
          end
          return {1, 0}
        end

        """;

    // KEYS: chats, leases, tries · ARGV: prefix, lease ms, token, reorder window ms
    const string ClaimScript = Now + EnqueuedAt + ClaimFunction + """
        return claim(ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4]))
        """;

    // KEYS: chats, leases, tries, queue, depth, deadletter · ARGV: chat, token, lease ms, dead-letter note ('' = plain ack), score, member prefix, reorder window ms,
    // key prefix ('' = when the chat has nothing ready, just release it; else also claim the next ready chat: {3, chat, head, tries, order})
    const string AckScript = Now + EnqueuedAt + ClaimFunction + """
        local function released()
          if ARGV[8] ~= '' then
            local c = claim(ARGV[8], tonumber(ARGV[3]), ARGV[2], tonumber(ARGV[7]))
            if c[1] == 2 then return {3, c[2], c[3], c[4], c[5]} end
          end
          return {1}
        end

        if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return {0} end
        for _, m in ipairs(redis.call('ZRANGE', KEYS[4], ARGV[5], ARGV[5], 'BYSCORE')) do
          if string.sub(m, 1, #ARGV[6]) == ARGV[6] then
            redis.call('ZREM', KEYS[4], m)
            redis.call('DECR', KEYS[5])
            if ARGV[4] ~= '' then redis.call('RPUSH', KEYS[6], ARGV[4] .. '\n' .. m) end
            break
          end
        end
        redis.call('HDEL', KEYS[3], ARGV[1])
        local head = redis.call('ZRANGE', KEYS[4], 0, 0, 'WITHSCORES')
        if #head == 0 then
          redis.call('ZREM', KEYS[1], ARGV[1])
          redis.call('HDEL', KEYS[2], ARGV[1])
          return released()
        end
        local ready = enqueued(head[1]) + tonumber(ARGV[7])
        if ready > now then
          redis.call('ZADD', KEYS[1], ready, ARGV[1])
          redis.call('HDEL', KEYS[2], ARGV[1])
          return released()
        end
        redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
        local tries = redis.call('HINCRBY', KEYS[3], ARGV[1], 1)
        return {2, head[1], tries, head[2]}
        """;

    // KEYS: chats, leases, errors · ARGV: chat, token, delay ms, error
    const string ReleaseScript = Now + """
        if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
        redis.call('HSET', KEYS[3], ARGV[1], ARGV[4])
        redis.call('HDEL', KEYS[2], ARGV[1])
        redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
        return 1
        """;

    // KEYS: chats, leases · ARGV: chat, token, lease ms
    const string RenewScript = Now + """
        if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
        redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[3]), ARGV[1])
        return 1
        """;

    // KEYS: chats, depth · ARGV: prefix, sample size → {depth, oldest enqueue ms or -1, now}
    const string SampleScript = Now + EnqueuedAt + """
        local oldest = -1
        for _, chat in ipairs(redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)) do
          local head = redis.call('ZRANGE', ARGV[1] .. 'q:' .. chat, 0, 0)
          if #head > 0 then
            local ms = enqueued(head[1])
            if ms and (oldest < 0 or ms < oldest) then oldest = ms end
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
    readonly long windowMs = (long)options.Value.ReorderWindow.TotalMilliseconds;
    readonly long dedupSeconds = (long)options.Value.DeduplicationWindow.TotalSeconds;

    public RedisChannel WakeChannel => RedisChannel.Literal(prefix + "wake");

    public RedisKey QueueKey(string chatId) => prefix + "q:" + chatId;

    public RedisKey DeadLetterKey => deadLetter;

    IDatabase Db => redis.GetDatabase();

    /// <summary>Appends an entry to its chat's queue unless <paramref name="dedupId"/> was seen; false for a duplicate.</summary>
    /// <param name="order">Position in the chat's queue (the update_id); null → after the last entry.</param>
    public async Task<bool> EnqueueAsync(string dedupId, string chatId, string headerPrefix, ReadOnlyMemory<byte> payload, long? order)
    {
        var result = await Db.ScriptEvaluateAsync(EnqueueScript,
            [prefix + "seen:" + dedupId, QueueKey(chatId), chats, depth],
            [dedupSeconds, headerPrefix, payload, chatId, WakeChannel.ToString(), order is { } o ? o : "", windowMs]);
        return (long)result == 1;
    }

    public async Task<Claim> ClaimAsync(string token)
    {
        var result = (RedisResult[])(await Db.ScriptEvaluateAsync(ClaimScript, [chats, leases, tries], [prefix, leaseMs, token, windowMs]))!;
        return (long)result[0] switch
        {
            0 => new Claim.Idle(null),
            1 => new Claim.Idle(TimeSpan.FromMilliseconds(Math.Max(0, (long)result[1]))),
            _ => new Claim.Leased((string)result[1]!, new Head((byte[])result[2]!, (long)result[4]), (long)result[3]),
        };
    }

    /// <summary>
    /// Removes the handled head entry (to the dead-letter list when <paramref name="deadLetterNote"/> is given). With
    /// <paramref name="claimNext"/>, a chat left with nothing ready is released and the next ready chat claimed in the
    /// same round trip (<see cref="LeaseState.Moved"/>).
    /// </summary>
    /// <param name="writes">The handler's writes to send first, in the same round trip (<see cref="BotContext.WriteWithAck"/>).</param>
    public async Task<LeaseState> AckAsync(string chatId, string token, Head handled, string? deadLetterNote = null, bool claimNext = false,
        IReadOnlyList<Func<IDatabaseAsync, Task>>? writes = null)
    {
        IDatabaseAsync target = Db;
        IBatch? batch = null;
        Task[]? written = null;
        if (writes is { Count: > 0 })
        {
            target = batch = Db.CreateBatch();
            written = new Task[writes.Count];
            for (var i = 0; i < writes.Count; i++)
            {
                written[i] = writes[i](batch);
            }
        }
        var acked = target.ScriptEvaluateAsync(AckScript,
            [chats, leases, tries, QueueKey(chatId), depth, deadLetter],
            [chatId, token, leaseMs, deadLetterNote ?? "", handled.Order, MemberPrefix(handled.Entry), windowMs, claimNext ? prefix : ""]);
        batch?.Execute();
        if (written is not null)
        {
            await Task.WhenAll(written);
        }
        var result = (RedisResult[])(await acked)!;
        return (long)result[0] switch
        {
            0 => new LeaseState.Lost(),
            1 => new LeaseState.Drained(),
            2 => new LeaseState.Next(new Head((byte[])result[1]!, (long)result[3]), (long)result[2]),
            _ => new LeaseState.Moved(new Claim.Leased((string)result[1]!, new Head((byte[])result[2]!, (long)result[4]), (long)result[3])),
        };
    }

    // "u 123 " identifies an entry among those of the same order.
    static byte[] MemberPrefix(ReadOnlyMemory<byte> entry)
    {
        var span = entry.Span;
        var first = span.IndexOf((byte)' ');
        var second = span[(first + 1)..].IndexOf((byte)' ');
        return span[..(first + second + 2)].ToArray();
    }

    /// <summary>Gives the chat back with its head entry still queued, to be tried again after <paramref name="delay"/>.</summary>
    public async Task ReleaseAsync(string chatId, string token, TimeSpan delay, string error) =>
        await Db.ScriptEvaluateAsync(ReleaseScript, [chats, leases, errors],
            [chatId, token, (long)delay.TotalMilliseconds, error]);

    /// <summary>Extends a lease still held; false when it was lost.</summary>
    public async Task<bool> RenewAsync(string chatId, string token) =>
        (long)await Db.ScriptEvaluateAsync(RenewScript, [chats, leases], [chatId, token, leaseMs]) == 1;

    public async Task<string?> LastErrorAsync(string chatId) => await Db.HashGetAsync(errors, chatId);

    /// <summary>Total queued entries and the age of the oldest among the next <paramref name="sample"/> chats.</summary>
    public async Task<(long Depth, TimeSpan? OldestAge)> SampleAsync(int sample = 20)
    {
        var result = (RedisResult[])(await Db.ScriptEvaluateAsync(SampleScript, [chats, depth], [prefix, sample]))!;
        var oldest = (long)result[1];
        return ((long)result[0], oldest < 0 ? null : TimeSpan.FromMilliseconds(Math.Max(0, (long)result[2] - oldest)));
    }
}
