using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Mesh.Bot.Telegram;

/// <summary>Chats Telegram refused with 403 (the user blocked the bot): a Redis hash chat id → unix time of the refusal.</summary>
public sealed class UnreachableChats(IConnectionMultiplexer redis, IOptions<BotOptions> options, TimeProvider clock)
{
    readonly RedisKey key = options.Value.RedisKeyPrefix + "unreachable";

    public async Task MarkAsync(long chatId) =>
        await redis.GetDatabase().HashSetAsync(key, chatId, clock.GetUtcNow().ToUnixTimeSeconds());

    public async Task<bool> IsUnreachableAsync(long chatId) => await redis.GetDatabase().HashExistsAsync(key, chatId);
}
