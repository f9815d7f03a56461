using Grpc.Core;
using Mesh.Bot.Telegram;
using Telegram.Bot.Types.Enums;

namespace Mesh.Bot.Grpc;

/// <summary><c>Notifications</c>: other services' way to message a user, queued durably in the user's chat queue.</summary>
public sealed class NotificationsApi(NotificationDelivery delivery) : Notifications.NotificationsBase
{
    const int MaxTextLength = MessageText.MaxLength;
    const int MaxIdLength = 200;

    public override async Task<SendNotificationReply> Send(SendNotificationRequest request, ServerCallContext context)
    {
        if (string.IsNullOrWhiteSpace(request.NotificationId) || request.ChatId == 0 || string.IsNullOrWhiteSpace(request.Text))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "notification_id, chat_id and text are required"));
        }
        if (!IsNotificationId(request.NotificationId))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                $"notification_id must be 1–{MaxIdLength} visible ASCII characters (letters, digits, punctuation; no spaces)"));
        }
        // One message: at most what Telegram takes in one, counted as it counts (the text goes out as HTML).
        if (request.Text.Length > MaxTextLength && MessageText.Length(request.Text, ParseMode.Html) > MaxTextLength)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                $"text is longer than {MaxTextLength} characters (as Telegram counts them, after its HTML markup is parsed)"));
        }
        // A group's or a channel's id is negative: a web app's button is allowed only in a private chat with the bot, and
        // Telegram would refuse the message (BUTTON_TYPE_INVALID) after it was queued, until it was dead-lettered.
        if (request.ChatId < 0 && request.Buttons.Any(row => row.Buttons.Any(b => !string.IsNullOrEmpty(b.WebAppUrl))))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                "a web_app_url button can be sent only to a private chat (a user's id); Telegram refuses it in a group or a channel"));
        }
        var queued = await delivery.QueueAsync(request);
        return new SendNotificationReply { Status = queued ? NotificationStatus.Queued : NotificationStatus.Duplicate };
    }

    /// <summary>
    /// An id that can go into a queued entry's header (space-separated, one line, ASCII) and a Redis key as it is:
    /// <c>support:ticket:42:answer:7</c>, a UUID.
    /// </summary>
    static bool IsNotificationId(string id) =>
        id.Length is > 0 and <= MaxIdLength && !id.AsSpan().ContainsAnyExceptInRange('!', '~');

    public override async Task<GetNotificationOutcomeReply> GetOutcome(GetNotificationOutcomeRequest request, ServerCallContext context) =>
        new() { Outcome = await delivery.OutcomeAsync(request.NotificationId) };
}
