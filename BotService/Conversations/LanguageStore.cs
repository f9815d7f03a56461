using System.Globalization;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Mesh.Bot.Conversations;

/// <summary>The language each user chose, in Redis (<c>{prefix}lang:{user}</c>), without expiry.</summary>
public sealed class LanguageStore(IConnectionMultiplexer redis, IOptions<BotOptions> options)
{
    /// <summary>The start of every key: this, then the user's id.</summary>
    public string KeyPrefix { get; } = options.Value.RedisKeyPrefix + "lang:";

    public async Task<BotLanguage?> GetAsync(long userId) =>
        Parse(await redis.GetDatabase().StringGetAsync(KeyPrefix + userId.ToString(CultureInfo.InvariantCulture)));

    /// <summary>The languages <paramref name="userIds"/> chose (null where none), in order, in one command.</summary>
    public async Task<BotLanguage?[]> GetManyAsync(IReadOnlyList<long> userIds)
    {
        if (userIds.Count == 0)
        {
            return [];
        }
        var codes = await redis.GetDatabase().StringGetAsync([.. userIds.Select(id => (RedisKey)(KeyPrefix + id.ToString(CultureInfo.InvariantCulture)))]);
        return [.. codes.Select(Parse)];
    }

    /// <summary>The language a stored value names; null when there is none (or an unknown one).</summary>
    public static BotLanguage? Parse(RedisValue code) => BotLanguages.TryParse(code, out var language) ? language : null;

    public Task SetAsync(long userId, BotLanguage language) =>
        redis.GetDatabase().StringSetAsync(KeyPrefix + userId.ToString(CultureInfo.InvariantCulture), language.Code());
}
