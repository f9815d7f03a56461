using Mesh.TelegramSandbox.BotApi;
using Microsoft.Extensions.Options;

namespace Mesh.TelegramSandbox.Limits;

/// <summary>
/// Telegram's flood limits as token buckets: about one message a second to a chat (short bursts allowed) and
/// about thirty a second per bot. Messages sent (sendMessage, sendInvoice) and edited (editMessageText,
/// editMessageReplyMarkup) take from the same buckets. A refusal says how many seconds to wait, as <c>retry_after</c> does.
/// </summary>
public sealed class SendRateLimiter(IOptions<SandboxOptions> options, TimeProvider clock)
{
    private readonly SandboxLimits limits = options.Value.Limits;
    private readonly Lock sync = new();
    private readonly Dictionary<(long Bot, long Chat), Bucket> chats = [];
    private readonly Dictionary<long, Bucket> bots = [];

    /// <summary>Takes one send or edit from both buckets, or throws Telegram's 429 with the seconds to wait (nothing is taken then).</summary>
    public void Take(long botId, long chatId)
    {
        if (TryAcquire(botId, chatId) is { } retryAfter)
        {
            throw BotApiException.TooManyRequests(retryAfter);
        }
    }

    /// <summary>Takes one send or edit from both buckets, or returns the seconds to wait (nothing is taken then).</summary>
    private int? TryAcquire(long botId, long chatId)
    {
        var now = clock.GetTimestamp() / (double)clock.TimestampFrequency;
        lock (sync)
        {
            Bucket? global = null, chat = null;
            if (limits.GlobalPerSecond > 0)
            {
                global = Get(bots, botId, limits.GlobalPerSecond, limits.GlobalBurst, now);
                if (global.Tokens < 1) return RetryAfter(global, limits.GlobalPerSecond);
            }
            if (limits.PerChatPerSecond > 0)
            {
                chat = Get(chats, (botId, chatId), limits.PerChatPerSecond, limits.PerChatBurst, now);
                if (chat.Tokens < 1) return RetryAfter(chat, limits.PerChatPerSecond);
            }
            if (global is not null) global.Tokens -= 1;
            if (chat is not null) chat.Tokens -= 1;
            return null;
        }
    }

    private static Bucket Get<TKey>(Dictionary<TKey, Bucket> buckets, TKey key, double rate, int burst, double now)
        where TKey : notnull
    {
        var capacity = Math.Max(1, burst);
        if (!buckets.TryGetValue(key, out var bucket))
        {
            bucket = new Bucket { Tokens = capacity, At = now };
            buckets[key] = bucket;
        }
        bucket.Tokens = Math.Min(capacity, bucket.Tokens + (now - bucket.At) * rate);
        bucket.At = now;
        return bucket;
    }

    private static int RetryAfter(Bucket bucket, double rate) => Math.Max(1, (int)Math.Ceiling((1 - bucket.Tokens) / rate));

    private sealed class Bucket
    {
        public double Tokens;
        public double At;
    }
}
