using System.Globalization;
using Mesh.Bot.Updates;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Mesh.Bot.Conversations;

/// <summary>
/// Conversation state in Redis, one hash per chat and user (<c>{prefix}conv:{chat}:{user}</c>: step, data, version,
/// updated-at, and the user's menu in the chat, which <see cref="BotMenus"/> writes, so that one command reads both), with
/// a TTL (<see cref="ConversationOptions.ConversationTtl"/>) so stuck states expire. A state write renews it; a menu write
/// only when it is due (<see cref="MenuWrite"/>: a minute, or a hundredth of a shorter TTL, off), told by the hash's field <see cref="ExpiresAt"/>,
/// which every renewal sets: a user pressing through menus costs Redis no command for it. Writes are
/// compare-and-set on the version (a Lua script), so of two writers that read the same version only one wins, whichever
/// replica they run on. <see cref="ClearAsync"/> is the operators' "clear stuck conversations".
/// </summary>
public sealed partial class ConversationStore(IConnectionMultiplexer redis, IOptions<BotOptions> bot, IOptions<ConversationOptions> options, TimeProvider clock, ILogger<ConversationStore> logger)
{
    // KEYS[1] the hash; ARGV: expected version ('' = any), step, data, now (ms), ttl (ms), expiry (ms). Returns the new
    // version or -1.
    const string CompareAndSet = """
        local current = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
        if ARGV[1] ~= '' and tonumber(ARGV[1]) ~= current then return -1 end
        local next = current + 1
        redis.call('HSET', KEYS[1], 'v', next, 's', ARGV[2], 'd', ARGV[3], 't', ARGV[4], 'x', ARGV[6])
        redis.call('PEXPIRE', KEYS[1], ARGV[5])
        return next
        """;

    // KEYS[1] the hash; ARGV: cutoff (ms since 1970), ttl (ms). Deletes the hash unless it was written after the cutoff:
    // its state ('t') or its menu, as its last renewal recorded ('w'; in a hash from before 'w', its expiry 'x' less the
    // TTL, which a TTL setting changed since puts off). Checked and deleted in one step, so a write that comes between is
    // never lost. Returns 1 deleted, 0 kept.
    const string ClearIfIdle = """
        local fields = redis.call('HMGET', KEYS[1], 't', 'w', 'x')
        local menu = tonumber(fields[2] or '') or ((tonumber(fields[3] or '') or 0) - tonumber(ARGV[2]))
        local written = math.max(tonumber(fields[1] or '') or 0, menu)
        if written > tonumber(ARGV[1]) then return 0 end
        return redis.call('DEL', KEYS[1])
        """;

    /// <summary>The menu's fields in the same hash (<see cref="BotMenus"/>): version, screen, message id.</summary>
    public const string MenuVersion = "mv", MenuScreen = "ms", MenuMessage = "mm";

    /// <summary>
    /// When the hash's TTL ends as its last renewal set it (ms since 1970, the writer's clock). A later renewal that did
    /// not record itself only makes the true expiry later, so a writer that trusts this field renews early, never late.
    /// </summary>
    public const string ExpiresAt = "x";

    /// <summary>When a menu write last renewed the hash (ms since 1970): what an operator's clear of old states goes by, with the state's own time.</summary>
    public const string RenewedAt = "w";

    static readonly RedisValue[] StateFields = ["v", "s", "d", "t", MenuVersion, MenuScreen, ExpiresAt, MenuMessage];

    /// <summary>The fields a read takes (<see cref="Parse"/>): the state's, the menu's version and screen, the expiry, the menu's message.</summary>
    public static IReadOnlyList<RedisValue> Fields { get; } = Array.AsReadOnly(StateFields);

    /// <summary>The start of every key (<see cref="KeyOf"/>: this, the chat, <see cref="Separator"/>, the user).</summary>
    public string KeyPrefix { get; } = bot.Value.RedisKeyPrefix + "conv:";

    public const string Separator = ":";

    public TimeSpan Ttl => options.Value.ConversationTtl;

    public string KeyOf(long chatId, long userId) => KeyPrefix + chatId.ToString(CultureInfo.InvariantCulture) + Separator + userId.ToString(CultureInfo.InvariantCulture);

    public async Task<ConversationState> GetAsync(long chatId, long userId) => (await GetWithMenuAsync(chatId, userId)).State;

    /// <summary>The conversation state and the menu of a user in a chat, in one command (<see cref="UserContext"/>).</summary>
    public async Task<(ConversationState State, MenuState Menu)> GetWithMenuAsync(long chatId, long userId) =>
        Parse(await redis.GetDatabase().HashGetAsync(KeyOf(chatId, userId), StateFields));

    /// <summary>The conversation state and the menu in the values of <see cref="Fields"/>, in order (null values: none yet).</summary>
    public static (ConversationState State, MenuState Menu) Parse(RedisValue[] fields)
    {
        if (fields.Length != StateFields.Length)
        {
            throw new ArgumentException($"Expected the values of the {StateFields.Length} fields of {nameof(Fields)}, got {fields.Length}.", nameof(fields));
        }
        var menu = new MenuState(fields[4].TryParse(out long version) ? version : 0, fields[5].IsNullOrEmpty ? null : (string?)fields[5])
        {
            HashExpiresAt = !fields[6].IsNullOrEmpty && fields[6].TryParse(out long expires) ? DateTimeOffset.FromUnixTimeMilliseconds(expires) : null,
            MessageId = fields[7].TryParse(out long message) ? message : 0,
        };
        if (fields[0].IsNull)
        {
            return (ConversationState.None, menu);
        }
        var step = fields[1].IsNullOrEmpty ? null : new Step(fields[1]!);
        var data = fields[2].IsNullOrEmpty ? null : (string?)fields[2];
        DateTimeOffset? at = fields[3].TryParse(out long ms) ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
        return (new ConversationState(step, data, (long)fields[0], at), menu);
    }

    /// <summary>Moves to <paramref name="step"/> (null: out of any flow) with <paramref name="data"/> if the state is still at <paramref name="expectedVersion"/>; throws <see cref="ConversationConflict"/> if not.</summary>
    public async Task<ConversationState> SetAsync(long chatId, long userId, long expectedVersion, Step? step, string? data)
    {
        var version = await WriteAsync(chatId, userId, expectedVersion.ToString(CultureInfo.InvariantCulture), step, data);
        return version < 0 ? throw new ConversationConflict(chatId, userId, expectedVersion) : new ConversationState(step, data, version, clock.GetUtcNow());
    }

    /// <summary>Leaves any flow, whatever the version (<c>/start</c>, <c>/cancel</c>): always wins, and moves the version on so stale writers lose.</summary>
    public async Task<ConversationState> ResetAsync(long chatId, long userId)
    {
        var version = await WriteAsync(chatId, userId, "", null, null);
        return new ConversationState(null, null, version, clock.GetUtcNow());
    }

    async Task<long> WriteAsync(long chatId, long userId, string expected, Step? step, string? data)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var ttl = (long)Ttl.TotalMilliseconds;
        var result = await redis.GetDatabase().ScriptEvaluateAsync(CompareAndSet, [KeyOf(chatId, userId)],
            [expected, step?.Name ?? "", data ?? "", now, ttl, now + ttl]);
        return (long)result;
    }

    /// <summary>
    /// The write of a user's drawn menu (version, screen, message id), to go with the update's acknowledgement
    /// (<see cref="BotContext.WriteWithAck"/>). It renews the hash's TTL (and records the new expiry) when
    /// <paramref name="expiresAt"/>, as read with the update, is unknown or more than a hundredth of the TTL (at most a
    /// minute) away from where a renewal now would put it: nearer, as time passes, or further, after the TTL setting was
    /// lowered (or between replicas whose clocks disagree by more than that, which then renew on every write, as before).
    /// Otherwise the TTL is left as it is, unless the write finds the hash gone (cleared meanwhile), which then gets one
    /// all the same.
    /// </summary>
    public HashWrite MenuWrite(long chatId, long userId, long version, string screen, long messageId, DateTimeOffset? expiresAt)
    {
        var now = clock.GetUtcNow();
        var renewed = now + Ttl;
        var slack = TimeSpan.FromTicks(Math.Min(Ttl.Ticks / 100, TimeSpan.TicksPerMinute));
        var renew = expiresAt is not { } expires || (renewed - expires).Duration() > slack;
        HashEntry[] menu = [new(MenuVersion, version), new(MenuScreen, screen), new(MenuMessage, messageId)];
        return new HashWrite(KeyOf(chatId, userId),
            renew ? [.. menu, new(ExpiresAt, renewed.ToUnixTimeMilliseconds()), new(RenewedAt, now.ToUnixTimeMilliseconds())] : menu, Ttl, RenewTimeToLive: renew);
    }

    /// <summary>
    /// Deletes conversation states — all of them, or those not written for <paramref name="olderThan"/> (neither their
    /// state nor, to within the minute its renewals allow, their menu: a user pressing through menus is not stuck) — and
    /// returns how many. Users in a cleared state start from the main menu again. For operators (API, command line,
    /// dashboard).
    /// </summary>
    public async Task<long> ClearAsync(TimeSpan? olderThan, CancellationToken cancellationToken)
    {
        var db = redis.GetDatabase();
        var cutoff = olderThan is { } age ? clock.GetUtcNow().Add(-age).ToUnixTimeMilliseconds() : long.MaxValue;
        long cleared = 0;
        foreach (var endpoint in redis.GetEndPoints())
        {
            var server = redis.GetServer(endpoint);
            if (!server.IsConnected || server.IsReplica)
            {
                continue;
            }
            await foreach (var key in server.KeysAsync(db.Database, KeyPrefix + "*", pageSize: 500).WithCancellation(cancellationToken))
            {
                var deleted = olderThan is null
                    ? await db.KeyDeleteAsync(key)
                    : (long)await db.ScriptEvaluateAsync(ClearIfIdle, [key], [cutoff, (long)Ttl.TotalMilliseconds]) == 1;
                if (deleted)
                {
                    cleared++;
                }
            }
        }
        LogCleared(logger, cleared, olderThan);
        return cleared;
    }

    [LoggerMessage(1, LogLevel.Information, "Cleared {Count} conversation states (older than {OlderThan})")]
    static partial void LogCleared(ILogger logger, long count, TimeSpan? olderThan);
}
