using System.Globalization;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Mesh.Bot.Conversations;

/// <summary>The language each user chose, in Redis (<c>{prefix}lang:{user}</c>), without expiry.</summary>
public sealed class LanguageStore(IConnectionMultiplexer redis, IOptions<BotOptions> options)
{
    readonly string prefix = options.Value.RedisKeyPrefix + "lang:";

    public async Task<BotLanguage?> GetAsync(long userId)
    {
        var code = await redis.GetDatabase().StringGetAsync(prefix + userId.ToString(CultureInfo.InvariantCulture));
        return BotLanguages.TryParse(code, out var language) ? language : null;
    }

    public Task SetAsync(long userId, BotLanguage language) =>
        redis.GetDatabase().StringSetAsync(prefix + userId.ToString(CultureInfo.InvariantCulture), language.Code());
}
