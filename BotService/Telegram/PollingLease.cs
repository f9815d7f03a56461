using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Mesh.Bot.Telegram;

/// <summary>
/// The Redis lease that makes one replica the polling leader: key <c>polling:leader</c> holding the leader's replica id
/// with a TTL of <see cref="TelegramOptions.PollingLease"/>. Taken with <c>SET NX PX</c>, renewed and released only by
/// its holder (compare-and-set in Lua), and free for another replica as soon as it expires.
/// </summary>
public sealed class PollingLease(IConnectionMultiplexer redis, IOptions<TelegramOptions> telegram, IOptions<BotOptions> bot)
{
    // KEYS: lease · ARGV: holder, ms → {1} when taken, else {0, the ms until it may expire}. A lease with no TTL (written by
    // hand) gets one, so that it ends rather than keep every replica from polling for good.
    const string AcquireScript = """
        if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {1} end
        if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return {1} end
        local left = redis.call('PTTL', KEYS[1])
        if left < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) left = tonumber(ARGV[2]) end
        return {0, left}
        """;

    // KEYS: lease · ARGV: holder, ms
    const string RenewScript = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        redis.call('PEXPIRE', KEYS[1], ARGV[2])
        return 1
        """;

    // KEYS: lease · ARGV: holder
    const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        return redis.call('DEL', KEYS[1])
        """;

    readonly RedisKey key = bot.Value.RedisKeyPrefix + "polling:leader";

    public TimeSpan Duration { get; } = telegram.Value.PollingLease;

    /// <summary>This replica's holder id.</summary>
    public string Holder { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";

    long Ms => (long)Duration.TotalMilliseconds;

    IDatabase Db => redis.GetDatabase();

    /// <summary>Takes the lease if it is free (or already ours); otherwise how long until it may expire.</summary>
    public async Task<(bool Taken, TimeSpan RetryAfter)> TryAcquireAsync()
    {
        var result = (RedisResult[])(await Db.ScriptEvaluateAsync(AcquireScript, [key], [Holder, Ms]))!;
        return (long)result[0] == 1 ? (true, TimeSpan.Zero) : (false, TimeSpan.FromMilliseconds(Math.Max(0, (long)result[1])));
    }

    /// <summary>Extends the lease; false when it is no longer ours.</summary>
    public async Task<bool> RenewAsync() => (long)await Db.ScriptEvaluateAsync(RenewScript, [key], [Holder, Ms]) == 1;

    public async Task ReleaseAsync() => await Db.ScriptEvaluateAsync(ReleaseScript, [key], [Holder]);

    /// <summary>The current leader's id, or null when no replica polls.</summary>
    public async Task<string?> CurrentHolderAsync() => await Db.StringGetAsync(key);
}
