using System.Globalization;
using System.Runtime.CompilerServices;
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
/// replica they run on. <see cref="ResetDialogsAsync"/> is the operators' "clear stuck conversations": it resets the
/// dialogs (step and data), not the menus.
/// </summary>
public sealed class ConversationStore(IConnectionMultiplexer redis, IOptions<BotOptions> bot, IOptions<ConversationOptions> options, TimeProvider clock)
{
    // KEYS[1] the hash; ARGV: expected version ('' = any), step, data, now (ms), ttl (ms), expiry (ms), the dialog's
    // language ('' = not known), the user's name to mention ('' = none). Returns the new version or -1.
    const string CompareAndSet = """
        local current = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
        if ARGV[1] ~= '' and tonumber(ARGV[1]) ~= current then return -1 end
        local next = current + 1
        local fields = {'v', next, 's', ARGV[2], 'd', ARGV[3], 't', ARGV[4], 'x', ARGV[6]}
        if ARGV[7] ~= '' then fields[#fields + 1] = 'l' fields[#fields + 1] = ARGV[7] end
        if ARGV[8] ~= '' then fields[#fields + 1] = 'n' fields[#fields + 1] = ARGV[8] end
        redis.call('HSET', KEYS[1], unpack(fields))
        redis.call('PEXPIRE', KEYS[1], ARGV[5])
        return next
        """;

    // KEYS: conversation hashes (a page of a scan); ARGV: cutoff (ms since 1970), ttl (ms), now (ms). Resets the dialog of
    // each hash that has one ('s') and was not written after the cutoff: neither its state ('t') nor its menu, as its
    // last renewal recorded ('w'; in a hash from before 'w', its expiry 'x' less the TTL, which a TTL setting changed since
    // puts off). A reset moves the version on (a writer that read the dialog loses, as after ResetAsync), empties step
    // and data, and records the reset as not told yet ('r': the new version and the step); the menu's fields and the
    // hash's TTL stay as they were. Checked and reset in one step, so a write that comes between is never lost. A key of
    // another type is passed over. Returns {dialogs reset, {key's index, 'r', language, name} per hash whose reset is
    // not told yet, this call's or an earlier one's}; an earlier one's whose hash was written since (its version moved
    // past the reset's: the user went on) is dropped untold.
    const string ResetIdleDialogs = """
        local cutoff, ttl, now = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
        local reset, untold = 0, {}
        for i, key in ipairs(KEYS) do
          local f = redis.pcall('HMGET', key, 'v', 's', 't', 'w', 'x', 'r', 'l', 'n')
          if type(f) == 'table' and not f.err then
            local told = f[6]
            if f[2] and f[2] ~= '' then
              local menu = tonumber(f[4] or '') or ((tonumber(f[5] or '') or 0) - ttl)
              if math.max(tonumber(f[3] or '') or 0, menu) <= cutoff then
                local version = (tonumber(f[1] or '') or 0) + 1
                told = version .. ' ' .. f[2]
                redis.call('HSET', key, 'v', version, 's', '', 'd', '', 't', now, 'r', told)
                reset = reset + 1
              end
            end
            -- A reset not told yet, but the user has written since (a new dialog, or left it): telling them now would
            -- speak of a dialog they have moved on from. The marker goes, untold.
            if told and (tonumber(f[1] or '') or 0) > (tonumber(string.match(told, '^%d+') or '') or 0) and told == f[6] then
              redis.call('HDEL', key, 'r')
              told = nil
            end
            if told then untold[#untold + 1] = {i, told, f[7] or '', f[8] or ''} end
          end
        end
        return {reset, untold}
        """;

    // KEYS: hashes; ARGV: per hash, its 'r' as read. Deletes each 'r' still as read (a reset told).
    const string ForgetTold = """
        for i, key in ipairs(KEYS) do
          if redis.call('HGET', key, 'r') == ARGV[i] then redis.call('HDEL', key, 'r') end
        end
        return 0
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

    /// <summary>
    /// Whom the dialog speaks to, written with each step (<see cref="DialogUser"/>): its language, and in a group the
    /// user's first name; what an operator's reset tells the user in.
    /// </summary>
    public const string DialogLanguage = "l", DialogUserName = "n";

    /// <summary>A dialog an operator reset whose user is not told yet (<see cref="ResetDialogsAsync"/>): the version the reset wrote, a space, the step.</summary>
    public const string ResetUntold = "r";

    /// <summary>How many keys one call of <see cref="ResetDialogsAsync"/>'s script takes: a page of the scan.</summary>
    public const int ResetPageSize = 500;

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

    /// <summary>
    /// Moves to <paramref name="step"/> (null: out of any flow) with <paramref name="data"/> if the state is still at
    /// <paramref name="expectedVersion"/>; throws <see cref="ConversationConflict"/> if not. <paramref name="user"/>, when
    /// known, is recorded with it: whom an operator's reset of the dialog tells, and in which language.
    /// </summary>
    public async Task<ConversationState> SetAsync(long chatId, long userId, long expectedVersion, Step? step, string? data, DialogUser? user = null)
    {
        var version = await WriteAsync(chatId, userId, expectedVersion.ToString(CultureInfo.InvariantCulture), step, data, user);
        return version < 0 ? throw new ConversationConflict(chatId, userId, expectedVersion) : new ConversationState(step, data, version, clock.GetUtcNow());
    }

    /// <summary>Leaves any flow, whatever the version (<c>/start</c>, <c>/cancel</c>): always wins, and moves the version on so stale writers lose.</summary>
    public async Task<ConversationState> ResetAsync(long chatId, long userId)
    {
        var version = await WriteAsync(chatId, userId, "", null, null, null);
        return new ConversationState(null, null, version, clock.GetUtcNow());
    }

    async Task<long> WriteAsync(long chatId, long userId, string expected, Step? step, string? data, DialogUser? user)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var ttl = (long)Ttl.TotalMilliseconds;
        var result = await redis.GetDatabase().ScriptEvaluateAsync(CompareAndSet, [KeyOf(chatId, userId)],
            [expected, step?.Name ?? "", data ?? "", now, ttl, now + ttl, user?.Language.Code() ?? "", user?.MentionName ?? ""]);
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
    /// Resets the dialogs users are in — all of them, or those not written for <paramref name="olderThan"/> (neither their
    /// state nor, to within the minute its renewals allow, their menu: a user pressing through menus is not stuck) — and
    /// yields, a page of the scan at a time (<see cref="ResetPageSize"/> keys, one script call), how many it reset and the
    /// resets whose users are still to be told: this page's, and any an earlier clear reset but did not get to tell (the
    /// caller tells them, then <see cref="ForgetToldAsync"/>). Menus are left as they are: a user's current menu keeps
    /// working, and a user with no dialog is not touched. For operators (API, command line, dashboard). Cancelling stops
    /// between pages.
    /// </summary>
    public async IAsyncEnumerable<DialogResetPage> ResetDialogsAsync(TimeSpan? olderThan, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var db = redis.GetDatabase();
        var cutoff = olderThan is { } age ? clock.GetUtcNow().Add(-age).ToUnixTimeMilliseconds() : long.MaxValue;
        var page = new List<RedisKey>(ResetPageSize);
        foreach (var endpoint in redis.GetEndPoints())
        {
            var server = redis.GetServer(endpoint);
            if (!server.IsConnected || server.IsReplica)
            {
                continue;
            }
            await foreach (var key in server.KeysAsync(db.Database, KeyPrefix + "*", pageSize: ResetPageSize).WithCancellation(cancellationToken))
            {
                page.Add(key);
                if (page.Count == ResetPageSize)
                {
                    yield return await ResetPageAsync(db, page, cutoff);
                    page.Clear();
                }
            }
        }
        if (page.Count > 0)
        {
            yield return await ResetPageAsync(db, page, cutoff);
        }
    }

    async Task<DialogResetPage> ResetPageAsync(IDatabase db, List<RedisKey> keys, long cutoff)
    {
        var result = (RedisResult[])(await db.ScriptEvaluateAsync(ResetIdleDialogs, [.. keys],
            [cutoff, (long)Ttl.TotalMilliseconds, clock.GetUtcNow().ToUnixTimeMilliseconds()]))!;
        var untold = new List<DialogReset>();
        foreach (var item in (RedisResult[])result[1]!)
        {
            var reset = (RedisResult[])item!;
            var key = keys[(int)reset[0] - 1];
            var marker = (string)reset[1]!;
            var space = marker.IndexOf(' ', StringComparison.Ordinal);
            if (TryReadKey(key, out var chatId, out var userId) && space > 0
                && long.TryParse(marker.AsSpan(0, space), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            {
                var name = (string?)reset[3];
                untold.Add(new DialogReset(key, chatId, userId, version, new Step(marker[(space + 1)..]),
                    LanguageStore.Parse((string?)reset[2]), string.IsNullOrEmpty(name) ? null : name, marker));
            }
        }
        return new DialogResetPage((long)result[0], untold);
    }

    /// <summary>Records that the users of <paramref name="resets"/> were told (one script call): a later clear does not tell them again.</summary>
    public async Task ForgetToldAsync(IReadOnlyList<DialogReset> resets)
    {
        if (resets.Count > 0)
        {
            await redis.GetDatabase().ScriptEvaluateAsync(ForgetTold, [.. resets.Select(r => r.Key)], [.. resets.Select(r => (RedisValue)r.Marker)]);
        }
    }

    /// <summary>The chat and the user of a key of <see cref="KeyOf"/>; false for a key of another shape.</summary>
    bool TryReadKey(RedisKey key, out long chatId, out long userId)
    {
        (chatId, userId) = (0, 0);
        var text = ((string?)key ?? "").AsSpan();
        if (!text.StartsWith(KeyPrefix, StringComparison.Ordinal))
        {
            return false;
        }
        var ids = text[KeyPrefix.Length..];
        var separator = ids.LastIndexOf(Separator);
        return separator > 0
            && long.TryParse(ids[..separator], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out chatId)
            && long.TryParse(ids[(separator + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out userId);
    }
}

/// <summary>
/// Whom a dialog speaks to, recorded with its steps (<see cref="ConversationStore.SetAsync"/>): the language its
/// questions are asked in, and in a group chat the user's first name, to mention them there. What an operator's reset
/// of the dialog tells the user in.
/// </summary>
public readonly record struct DialogUser(BotLanguage Language, string? MentionName);

/// <summary>A dialog an operator's clear reset whose user is not told yet.</summary>
/// <param name="Version">The version the reset wrote: with the chat and the user, this reset's identity.</param>
/// <param name="Step">The step the dialog was at.</param>
/// <param name="Language">The dialog's language, as recorded with its steps; null for a dialog written before they were.</param>
/// <param name="MentionName">In a group, the user's first name, to mention them; null in a private chat.</param>
/// <param name="Marker">The hash's <see cref="ConversationStore.ResetUntold"/> as read.</param>
public sealed record DialogReset(RedisKey Key, long ChatId, long UserId, long Version, Step Step, BotLanguage? Language, string? MentionName, string Marker);

/// <summary>What one page of <see cref="ConversationStore.ResetDialogsAsync"/> did: dialogs reset, and resets still to be told of.</summary>
public sealed record DialogResetPage(long Reset, IReadOnlyList<DialogReset> Untold);
