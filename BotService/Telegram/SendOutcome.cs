namespace Mesh.Bot.Telegram;

public enum SendOutcome
{
    Sent,

    /// <summary>Telegram answered 403: the user blocked the bot (or left the chat); the chat is marked unreachable.</summary>
    Blocked,

    /// <summary>Rejected (4xx) or still failing after the retries.</summary>
    Failed,
}

/// <summary>
/// What became of one send or edit: the outcome and, when Telegram returned it, the message's id; when it
/// <see cref="SendOutcome.Failed"/>, why (<see cref="Error"/>: Telegram's error code and description for a refusal,
/// <c>400 Bad Request: chat not found</c>, or what the last try met, <c>500 after 5 tries</c>).
/// </summary>
public readonly record struct SentMessage(SendOutcome Outcome, int? MessageId, string? Error = null);

/// <summary>
/// A reply could not be delivered (Telegram refused it, or it still failed after the sender's retries); the update is
/// tried again later, and the reason is what its dead letter says in the end.
/// </summary>
public sealed class TelegramSendFailed(long chatId, string? reason = null)
    : Exception($"Sending to chat {chatId} failed: {reason ?? "no reason recorded"}.")
{
    public long ChatId { get; } = chatId;
}
