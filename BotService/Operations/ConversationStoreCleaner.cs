using System.Globalization;
using Mesh.Bot.Conversations;
using Mesh.Bot.Grpc;
using Mesh.Bot.Telegram;
using Mesh.Bot.Texts;

namespace Mesh.Bot.Operations;

/// <summary>
/// The operators' "clear stuck conversations": the conversation store resets the dialogs a page of its keys at a time,
/// and each page's users are told, in the dialog's language, through their chats' queues (<see cref="NotificationDelivery"/>:
/// durable, in order with the chat's updates, rate limited by the sender). A notice's id names the reset (chat, user,
/// the version the reset wrote), so however often a clear is run or retried, a user is told once per reset; a reset
/// whose notice was not queued (the clear stopped between the two) is told by the next clear. A page costs at most five
/// round trips to Redis, whatever its size (besides the scan's): the reset, the languages of dialogs that did not record
/// theirs (only when there are some), the notices, their outcomes recorded pending, and the record that they went.
/// </summary>
public sealed partial class ConversationStoreCleaner(ConversationStore store, LanguageStore languages, NotificationDelivery notices,
    ILogger<ConversationStoreCleaner> logger) : IConversationCleaner
{
    /// <summary>The start of a reset notice's id, before <c>chat:user:version</c>.</summary>
    public const string NoticeIdPrefix = "conversation-reset:";

    public async Task<ConversationsCleared> ClearAsync(TimeSpan? olderThan, CancellationToken cancellationToken)
    {
        long reset = 0, told = 0;
        await foreach (var page in store.ResetDialogsAsync(olderThan, cancellationToken))
        {
            reset += page.Reset;
            // Not cancelled part-way: a page's resets are told whatever happens to the rest of the clear.
            told += await TellAsync(page.Untold);
        }
        LogCleared(logger, reset, told, olderThan);
        return new ConversationsCleared(reset, told);
    }

    async Task<long> TellAsync(IReadOnlyList<DialogReset> resets)
    {
        if (resets.Count == 0)
        {
            return 0;
        }
        // A dialog written before dialogs recorded their language: the one the user chose, if any.
        var unknown = resets.Where(r => r.Language is null).Select(r => r.UserId).Distinct().ToArray();
        var chosen = unknown.Zip(await languages.GetManyAsync(unknown)).ToDictionary(p => p.First, p => p.Second);
        var queued = await notices.QueueManyAsync([.. resets.Select(reset =>
        {
            var texts = BotTexts.For(reset.Language ?? chosen.GetValueOrDefault(reset.UserId) ?? BotLanguage.En);
            return new SendNotificationRequest
            {
                NotificationId = NoticeIdPrefix + string.Join(':', reset.ChatId.ToString(CultureInfo.InvariantCulture),
                    reset.UserId.ToString(CultureInfo.InvariantCulture), reset.Version.ToString(CultureInfo.InvariantCulture)),
                ChatId = reset.ChatId,
                Text = texts.DialogResetNotice(reset.Step, reset.ChatId, reset.UserId, reset.MentionName),
            };
        })]);
        await store.ForgetToldAsync(resets);
        return queued.Count(q => q);
    }

    [LoggerMessage(1, LogLevel.Information, "Reset {DialogsReset} dialogs (older than {OlderThan}) and queued {UsersTold} notices to their users")]
    static partial void LogCleared(ILogger logger, long dialogsReset, long usersTold, TimeSpan? olderThan);
}
