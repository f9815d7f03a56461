using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Mesh.Bot.Telegram;

/// <summary>Telegram's flood limits, kept on our side: a token bucket per chat and one for the whole bot (per replica).</summary>
public sealed class SendRateLimits : IDisposable
{
    readonly RateLimiter? global;
    readonly PartitionedRateLimiter<long>? perChat;

    public SendRateLimits(IOptions<TelegramOptions> options)
    {
        var o = options.Value;
        if (o.GlobalPerSecond > 0)
        {
            global = new TokenBucketRateLimiter(Bucket(o.GlobalPerSecond, o.GlobalBurst));
        }
        if (o.PerChatPerSecond > 0)
        {
            var bucket = Bucket(o.PerChatPerSecond, o.PerChatBurst);
            perChat = PartitionedRateLimiter.Create<long, long>(chat => RateLimitPartition.GetTokenBucketLimiter(chat, _ => bucket));
        }
    }

    static TokenBucketRateLimiterOptions Bucket(double perSecond, int burst)
    {
        // Replenish at least every 100 ms so a high rate does not come in big lumps.
        var tokensPerPeriod = Math.Max(1, (int)Math.Round(perSecond / 10));
        return new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(1, burst),
            TokensPerPeriod = tokensPerPeriod,
            ReplenishmentPeriod = TimeSpan.FromSeconds(tokensPerPeriod / perSecond),
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        };
    }

    /// <summary>Waits until both the chat's and the global bucket allow one more message.</summary>
    public async ValueTask WaitAsync(long chatId, CancellationToken cancellationToken)
    {
        if (perChat is not null)
        {
            using var lease = await perChat.AcquireAsync(chatId, 1, cancellationToken);
        }
        if (global is not null)
        {
            using var lease = await global.AcquireAsync(1, cancellationToken);
        }
    }

    public void Dispose()
    {
        global?.Dispose();
        perChat?.Dispose();
    }
}
