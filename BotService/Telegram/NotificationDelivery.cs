using Google.Protobuf;
using Mesh.Bot.Grpc;
using Mesh.Bot.Updates;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;
using Telegram.Bot.Types.ReplyMarkups;

namespace Mesh.Bot.Telegram;

/// <summary>
/// The durable outbound path: a notification is queued in its chat's queue (ordered, leased, retried like an update)
/// and delivered here through the sender; its outcome is kept 7 days under <c>notification:&lt;id&gt;</c>.
/// </summary>
public sealed class NotificationDelivery(ChatQueue queue, OutboundSender sender, IConnectionMultiplexer redis, IOptions<BotOptions> options)
{
    static readonly TimeSpan OutcomeRetention = TimeSpan.FromDays(7);
    readonly string prefix = options.Value.RedisKeyPrefix;

    /// <summary>Queues a notification; false when its id was queued before.</summary>
    public async Task<bool> QueueAsync(SendNotificationRequest request) => (await QueueManyAsync([request]))[0];

    /// <summary>
    /// Queues notifications, each in its chat's queue, in one script call, and records the queued ones' outcome as
    /// pending in one pipelined write. Answers per notification, in order: false when its id was queued before (or
    /// earlier in <paramref name="requests"/>).
    /// </summary>
    public async Task<bool[]> QueueManyAsync(IReadOnlyList<SendNotificationRequest> requests)
    {
        var traceParent = System.Diagnostics.Activity.Current?.Id;
        var queued = await queue.EnqueueManyAsync([.. requests.Select(request => NewEntry.Notification(request.NotificationId,
            request.ChatId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            QueuedEntry.HeaderPrefix(EntryKind.Notification, request.NotificationId, traceParent), request.ToByteArray()))]);
        var batch = redis.GetDatabase().CreateBatch();
        var pending = new List<Task>(requests.Count);
        for (var i = 0; i < requests.Count; i++)
        {
            if (queued[i])
            {
                pending.Add(batch.StringSetAsync(OutcomeKey(requests[i].NotificationId), nameof(NotificationOutcome.Pending), OutcomeRetention));
            }
        }
        batch.Execute();
        await Task.WhenAll(pending);
        return queued;
    }

    public async Task DeliverAsync(long chatId, QueuedEntry entry, CancellationToken cancellationToken)
    {
        var request = SendNotificationRequest.Parser.ParseFrom(entry.Payload.Span);
        var outcome = await sender.SendMessageAsync(chatId, request.Text, Keyboard(request), ParseMode.Html, cancellationToken);
        await SetOutcomeAsync(request.NotificationId, outcome switch
        {
            SendOutcome.Sent => NotificationOutcome.Sent,
            SendOutcome.Blocked => NotificationOutcome.Blocked,
            _ => NotificationOutcome.Failed,
        });
    }

    // KEYS[1] the outcome · ARGV: FAILED's name, PENDING's name, retention s. Only over PENDING: a notification sent whose
    // acknowledgement was lost, then given up on, stays SENT (or BLOCKED).
    const string FailIfPending = """
        if redis.call('GET', KEYS[1]) ~= ARGV[2] then return 0 end
        redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
        return 1
        """;

    /// <summary>Records a notification given up on (dead-lettered after its tries) as FAILED, unless it was delivered.</summary>
    public Task MarkFailedAsync(string notificationId) =>
        redis.GetDatabase().ScriptEvaluateAsync(FailIfPending, [OutcomeKey(notificationId)],
            [nameof(NotificationOutcome.Failed), nameof(NotificationOutcome.Pending), (long)OutcomeRetention.TotalSeconds]);

    public async Task<NotificationOutcome> OutcomeAsync(string notificationId)
    {
        var value = await redis.GetDatabase().StringGetAsync(OutcomeKey(notificationId));
        return value.HasValue && Enum.TryParse<NotificationOutcome>(value.ToString(), out var outcome) ? outcome : NotificationOutcome.Unknown;
    }

    Task SetOutcomeAsync(string notificationId, NotificationOutcome outcome) =>
        redis.GetDatabase().StringSetAsync(OutcomeKey(notificationId), outcome.ToString(), OutcomeRetention);

    /// <summary>What follows the key prefix in a notification outcome's key, before its id.</summary>
    public const string OutcomeKeyInfix = "notification:";

    RedisKey OutcomeKey(string notificationId) => prefix + OutcomeKeyInfix + notificationId;

    static InlineKeyboardMarkup? Keyboard(SendNotificationRequest request) =>
        request.Buttons.Count == 0
            ? null
            : new InlineKeyboardMarkup(request.Buttons.Select(row => row.Buttons.Select(b =>
                !string.IsNullOrEmpty(b.Url) ? InlineKeyboardButton.WithUrl(b.Text, b.Url)
                : !string.IsNullOrEmpty(b.WebAppUrl) ? InlineKeyboardButton.WithWebApp(b.Text, new WebAppInfo(b.WebAppUrl))
                : InlineKeyboardButton.WithCallbackData(b.Text, b.CallbackData))));
}
