using Mesh.Bot.Telegram;
using Mesh.Bot.Updates;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Telegram.Bot.Exceptions;

namespace Mesh.Bot.Operations;

/// <summary>A dead letter as operators see it: whose, what (update or notification, and its id), when it was queued, why it was given up on.</summary>
/// <param name="ChatId">Null when the letter does not say (it cannot be requeued).</param>
/// <param name="Kind">"update" or "notification"; null when the entry could not be read.</param>
/// <param name="Size">The letter's bytes in Redis.</param>
public sealed record DeadLetterView(string? ChatId, string? Kind, string? Id, DateTimeOffset? EnqueuedAt, string Note, int Size);

/// <summary>The bot's health as an operator sees it.</summary>
public sealed record BotStatus(
    string Mode,
    string WebhookUrl,
    int PendingUpdateCount,
    DateTimeOffset? LastErrorDate,
    string? LastErrorMessage,
    string? TelegramError,
    IReadOnlyList<string> WebhookDifferences,
    long QueueDepth,
    TimeSpan? OldestQueuedUpdateAge,
    long LeasesHeld,
    string? PollingLeader,
    long DeadLettered);

/// <summary>
/// The operator actions, implemented once: the gRPC <c>BotOperations</c> service (the gateway's operator API), the
/// command line (<c>webhook setup|delete|check</c>, <c>conversations clear</c>) and the HTTP endpoints behind the
/// dashboard's commands all call this. Failures to reach Telegram or Redis surface as their exceptions, translated at
/// each edge; nothing here ever includes the token or the webhook secret.
/// </summary>
public sealed class BotOperations(
    WebhookReconciler webhook,
    PollingLease pollingLease,
    ChatQueue queue,
    IConnectionMultiplexer redis,
    IOptions<TelegramOptions> telegram,
    IOptions<BotOptions> bot,
    IConversationCleaner conversations)
{
    /// <summary>
    /// How long the status waits for Telegram's getWebhookInfo: well inside the gateway's 10 s deadline on the call, so
    /// an operator asking while Telegram is silent hears "unreachable" with the queue's figures, not that the bot did
    /// not answer.
    /// </summary>
    public static readonly TimeSpan StatusTelegramTimeout = TimeSpan.FromSeconds(5);

    readonly RedisKey leases = bot.Value.RedisKeyPrefix + "leases";

    public string Mode => telegram.Value.IsWebhookMode ? "webhook" : "polling";

    public async Task<BotStatus> GetStatusAsync(CancellationToken cancellationToken)
    {
        var db = redis.GetDatabase();
        var sample = queue.SampleAsync();
        var leasesHeld = db.HashLengthAsync(leases);
        var deadLettered = queue.DeadLetterCountAsync();
        var leader = pollingLease.CurrentHolderAsync();

        WebhookView? view = null;
        string? telegramError = null;
        using var telegramTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        telegramTimeout.CancelAfter(StatusTelegramTimeout);
        try
        {
            view = await webhook.InspectAsync(telegramTimeout.Token);
        }
        catch (ApiRequestException e)
        {
            telegramError = $"Bot API error {e.ErrorCode}";
        }
        catch (Exception e) when (e is RequestException or HttpRequestException || e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            telegramError = "unreachable";
        }

        var (depth, oldest) = await sample;
        return new BotStatus(
            Mode,
            view?.Url ?? "",
            view?.PendingUpdateCount ?? 0,
            view?.LastErrorDate,
            view?.LastErrorMessage,
            telegramError,
            view?.Differences ?? [],
            depth,
            oldest,
            await leasesHeld,
            await leader,
            await deadLettered);
    }

    /// <summary>getWebhookInfo and what differs from the configuration.</summary>
    public Task<WebhookView> CheckWebhookAsync(CancellationToken cancellationToken) => webhook.InspectAsync(cancellationToken);

    /// <summary>Sets the configured webhook now, whatever Telegram has (webhook mode only).</summary>
    public Task<WebhookChange> SetupWebhookAsync(CancellationToken cancellationToken) => webhook.ReconcileAsync(force: true, cancellationToken);

    public async Task<WebhookChange> DeleteWebhookAsync(CancellationToken cancellationToken)
    {
        await webhook.DeleteAsync(cancellationToken, hold: true);
        return new WebhookChange(true, "", []);
    }

    /// <summary>The most dead letters one listing shows.</summary>
    public const int DeadLetterListMax = 1_000;

    /// <summary>How many dead letters a listing shows when not told.</summary>
    public const int DeadLetterListDefault = 20;

    /// <summary>Whether a listing may show <paramref name="count"/> dead letters: 1 to <see cref="DeadLetterListMax"/>.</summary>
    public static bool IsDeadLetterListCount(int count) => count is >= 1 and <= DeadLetterListMax;

    /// <summary>The newest <paramref name="count"/> dead letters (<see cref="IsDeadLetterListCount"/>), newest first.</summary>
    public async Task<IReadOnlyList<DeadLetterView>> ListDeadLettersAsync(int count)
    {
        if (!IsDeadLetterListCount(count))
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"limit must be 1 to {DeadLetterListMax}");
        }
        return [.. (await queue.DeadLettersAsync(count)).Select(d => new DeadLetterView(
            d.ChatId, d.Entry?.Kind.ToString().ToLowerInvariant(), d.Entry?.Id,
            d.Entry is { EnqueuedAtMs: > 0 } e ? DateTimeOffset.FromUnixTimeMilliseconds(e.EnqueuedAtMs) : null, d.Note, d.Size))];
    }

    public Task<long> DeadLetterCountAsync() => queue.DeadLetterCountAsync();

    /// <summary>Puts the dead letters (of <paramref name="chatId"/> only, when given) back in their chats' queues, to be handled again.</summary>
    public Task<Requeued> RequeueDeadLettersAsync(long? chatId, CancellationToken cancellationToken) =>
        queue.RequeueDeadLettersAsync(chatId?.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken);

    /// <summary>Resets the dialogs users are in (all, or those of users idle for <paramref name="olderThan"/>) and tells those users; menus stay.</summary>
    public Task<ConversationsCleared> ClearConversationsAsync(TimeSpan? olderThan, CancellationToken cancellationToken)
    {
        if (olderThan is { } age && !Age.IsInRange(age))
        {
            throw new ArgumentOutOfRangeException(nameof(olderThan), $"older_than must be positive and at most {Age.MaxInWords}");
        }
        return conversations.ClearAsync(olderThan, cancellationToken);
    }
}
