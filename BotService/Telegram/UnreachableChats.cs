using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Mesh.Bot.Telegram;

/// <summary>
/// Chats whose user blocked the bot (a 403 from Telegram, or the user's <c>my_chat_member</c> update): a Redis hash chat
/// id → unix time of the refusal, the entry gone once the user unblocks the bot (<see cref="ChatMemberTracking"/>).
/// </summary>
public sealed class UnreachableChats(IConnectionMultiplexer redis, IOptions<BotOptions> options, TimeProvider clock)
{
    readonly RedisKey key = options.Value.RedisKeyPrefix + "unreachable";

    public async Task MarkAsync(long chatId) =>
        await redis.GetDatabase().HashSetAsync(key, chatId, clock.GetUtcNow().ToUnixTimeSeconds());

    public async Task ClearAsync(long chatId) =>
        await redis.GetDatabase().HashDeleteAsync(key, chatId);
}
