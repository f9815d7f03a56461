using System.Globalization;
using Mesh.Bot.Texts;
using Mesh.Bot.Updates;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Mesh.Bot.Conversations;

/// <summary>The user's language: the one chosen with <c>/language</c> (kept per user in Redis), else Telegram's <c>language_code</c>.</summary>
public sealed class LanguageSelection(LanguageStore languages) : IBotMiddleware
{
    public async Task InvokeAsync(BotContext ctx, Func<Task> next)
    {
        var chosen = ctx.From is { } user ? await languages.GetAsync(user.Id) : null;
        ctx.Texts = BotTexts.For(chosen ?? BotLanguages.FromCode(ctx.From?.LanguageCode));
        await next();
    }
}

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
