using Mesh.TelegramSandbox.BotApi;
using Microsoft.Extensions.Options;

namespace Mesh.TelegramSandbox.Limits;

/// <summary>
/// Telegram's flood limits as token buckets: about one message a second to a chat (short bursts allowed), about twenty a
/// minute to a group (a negative chat id: groups and supergroups, on top of its chat's limit) and about thirty a second
/// per bot. Messages sent (sendMessage, sendInvoice) and edited (editMessageText, editMessageReplyMarkup) take from the
/// same buckets. A refusal says how many seconds to wait, as <c>retry_after</c> does: until every bucket that refused
/// has a message again.
/// </summary>
public sealed class SendRateLimiter(IOptions<SandboxOptions> options, TimeProvider clock)
{
    private readonly SandboxLimits limits = options.Value.Limits;
    private readonly Lock sync = new();
    private readonly Dictionary<(long Bot, long Chat), Bucket> chats = [];
    private readonly Dictionary<(long Bot, long Chat), Bucket> groups = [];
    private readonly Dictionary<long, Bucket> bots = [];

    /// <summary>Takes one send or edit from every bucket of the chat, or throws Telegram's 429 with the seconds to wait (nothing is taken then).</summary>
    public void Take(long botId, long chatId)
    {
        if (TryAcquire(botId, chatId) is { } retryAfter)
        {
            throw BotApiException.TooManyRequests(retryAfter);
        }
    }

    /// <summary>Takes one send or edit from every bucket of the chat, or returns the seconds to wait (nothing is taken then).</summary>
    private int? TryAcquire(long botId, long chatId)
    {
        var now = clock.GetTimestamp();
        lock (sync)
        {
            Bucket? global = null, chat = null, group = null;
            if (limits.GlobalPerSecond > 0)
            {
                global = Get(bots, botId, limits.GlobalPerSecond, limits.GlobalBurst, now);
            }
            if (limits.PerChatPerSecond > 0)
            {
                chat = Get(chats, (botId, chatId), limits.PerChatPerSecond, limits.PerChatBurst, now);
            }
            if (chatId < 0 && limits.PerGroupPerMinute > 0)
            {
                group = Get(groups, (botId, chatId), limits.PerGroupPerMinute / 60, limits.PerGroupBurst, now);
            }
            var retryAfter = Math.Max(RetryAfter(global), Math.Max(RetryAfter(chat), RetryAfter(group)));
            if (retryAfter > 0) return retryAfter;
            if (global is not null) global.Tokens -= 1;
            if (chat is not null) chat.Tokens -= 1;
            if (group is not null) group.Tokens -= 1;
            return null;
        }
    }

    /// <summary>The bucket refilled up to <paramref name="now"/> (a timestamp: the seconds since are counted from the ticks between, exactly).</summary>
    private Bucket Get<TKey>(Dictionary<TKey, Bucket> buckets, TKey key, double rate, int burst, long now)
        where TKey : notnull
    {
        var capacity = Math.Max(1, burst);
        if (!buckets.TryGetValue(key, out var bucket))
        {
            bucket = new Bucket { Tokens = capacity, At = now, Rate = rate };
            buckets[key] = bucket;
        }
        bucket.Tokens = Math.Min(capacity, bucket.Tokens + (now - bucket.At) / (double)clock.TimestampFrequency * rate);
        bucket.At = now;
        return bucket;
    }

    /// <summary>
    /// Whole seconds until the bucket has a message again (at least 1), or 0 when it has one now. Both to within float
    /// dust: a rate of 20 a minute is a binary fraction, and three seconds of it must make a whole message, and wait 3 s, not 4.
    /// </summary>
    private static int RetryAfter(Bucket? bucket) =>
        bucket is null || bucket.Tokens >= 1 - 1e-9 ? 0 : Math.Max(1, (int)Math.Ceiling(Math.Round((1 - bucket.Tokens) / bucket.Rate, 6)));

    private sealed class Bucket
    {
        public double Tokens;
        public long At;
        public double Rate;
    }
}
