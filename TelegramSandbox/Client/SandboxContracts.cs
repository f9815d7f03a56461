using System.Text.Json.Nodes;

namespace Mesh.TelegramSandbox.Client;

/// <summary>A Telegram user the sandbox acts as. In a private chat, the chat id is the user's id; a group has an id of its own (negative).</summary>
public sealed record SandboxUser(long Id, string FirstName, string? LastName = null, string? Username = null, string? LanguageCode = "en");

public sealed record SandboxBotInfo(long Id, string Username, string FirstName, string? WebhookUrl, int PendingUpdateCount, int ChatCount);

/// <summary>
/// A chat of the bot: <see cref="Type"/> <c>private</c> (<see cref="User"/> its user) or <c>group</c> / <c>supergroup</c>
/// (<see cref="Title"/>; <see cref="User"/> the member who added the bot).
/// </summary>
public sealed record SandboxChatSummary(long ChatId, SandboxUser User, bool Blocked, int MessageCount, long Version, string Type = "private", string? Title = null);

public sealed record SandboxButton(string Text, string? CallbackData, string? Url);

/// <summary>
/// A message in a chat as the control API shows it: the bot's (<see cref="FromBot"/>) or a user's (<see cref="From"/>:
/// the chat's user, or in a group the member who wrote it).
/// </summary>
public sealed record SandboxChatMessage(
    int MessageId,
    bool FromBot,
    long Date,
    string Text,
    JsonArray? Entities,
    string? ParseMode,
    JsonObject? ReplyMarkup,
    IReadOnlyList<IReadOnlyList<SandboxButton>>? InlineKeyboard,
    bool Edited,
    long? EditDate,
    bool Deleted,
    int? ReplyToMessageId,
    JsonObject? Invoice,
    JsonObject? SuccessfulPayment,
    SandboxUser? From = null);

public sealed record SandboxCallbackAnswer(string CallbackQueryId, int MessageId, string? Data, string? Text, bool ShowAlert, string? Url, long AnsweredAt);

/// <summary>
/// Everything about one chat; <see cref="Version"/> moves on every change (long-poll with it). A group has a
/// <see cref="Title"/> and <see cref="Members"/> (<see cref="User"/>: the member who added the bot).
/// </summary>
public sealed record SandboxChatState(
    long BotId,
    long ChatId,
    long Version,
    bool Exists,
    bool Blocked,
    SandboxUser? User,
    IReadOnlyList<SandboxChatMessage> Messages,
    JsonObject? ReplyKeyboard,
    IReadOnlyList<SandboxCallbackAnswer> CallbackAnswers,
    string? ChatAction,
    string Type = "private",
    string? Title = null,
    IReadOnlyList<SandboxUser>? Members = null);

public sealed record RegisterBotRequest(string Token);

/// <summary>
/// A group of <see cref="Members"/> with the bot in it, the first member having added it (the bot gets a
/// <c>my_chat_member</c>): a <c>group</c>, or with <see cref="Supergroup"/> a <c>supergroup</c>.
/// </summary>
public sealed record CreateGroupRequest(string Title, IReadOnlyList<SandboxUser> Members, bool Supergroup = false);

/// <summary>The user writes in their private chat with the bot, or with <see cref="ChatId"/> in a group of theirs.</summary>
public sealed record SendTextRequest(SandboxUser User, string Text, int? ReplyToMessageId = null, long? ChatId = null);

/// <summary>The user's new text for a message of theirs (an edit, as in Telegram), in <see cref="ChatId"/> when a group's.</summary>
public sealed record EditTextRequest(SandboxUser User, string Text, long? ChatId = null);

/// <summary>
/// The user's message as it went: <see cref="UpdateId"/> is null when the bot was not sent it (a group's message that
/// privacy mode keeps from the bot, or an update type left out of its allowed_updates).
/// </summary>
public sealed record SentUserMessage(long ChatId, int MessageId, long? UpdateId);

/// <summary>Press the inline button of <see cref="MessageId"/> whose callback_data (or else text) matches, in <see cref="ChatId"/> when a group's.</summary>
public sealed record PressButtonRequest(SandboxUser User, int MessageId, string? CallbackData, string? Text = null, long? ChatId = null);

public sealed record PressedButton(long ChatId, string CallbackQueryId, long? UpdateId);

public sealed record BlockRequest(bool Blocked);

public sealed record PayInvoiceRequest(SandboxUser User, int MessageId);

public sealed record PayInvoiceResult(long ChatId, string PreCheckoutQueryId, long? UpdateId);

public sealed record PreCheckoutState(string Id, bool? Ok, string? ErrorMessage, int? PaymentMessageId);

/// <summary>Every Bot API call answers <see cref="StatusCode"/> (5xx or 429) for <see cref="Seconds"/>.</summary>
public sealed record SetFaultRequest(int StatusCode, double Seconds, int RetryAfter = 1);

public sealed record SinkCount(long Count);

/// <summary>
/// Bot API calls the bot made, per method (only methods the sandbox knows), how many were answered 409 Conflict, and how
/// many 429 Too Many Requests by the flood limits.
/// </summary>
public sealed record BotCalls(IReadOnlyDictionary<string, long> Calls, long Conflicts, long RateLimited)
{
    public long Of(string method) => Calls.FirstOrDefault(c => string.Equals(c.Key, method, StringComparison.OrdinalIgnoreCase)).Value;
}
