namespace Mesh.Bot.Telegram;

public enum SendOutcome
{
    Sent,

    /// <summary>Telegram answered 403: the user blocked the bot (or left the chat); the chat is marked unreachable.</summary>
    Blocked,

    /// <summary>Rejected (4xx) or still failing after the retries.</summary>
    Failed,
}

/// <summary>What became of one send or edit: the outcome and, when Telegram returned it, the message's id.</summary>
public readonly record struct SentMessage(SendOutcome Outcome, int? MessageId);

/// <summary>A reply could not be delivered after the sender's retries; the update is tried again later.</summary>
public sealed class TelegramSendFailed(long chatId) : Exception($"Sending to chat {chatId} failed after retries.")
{
    public long ChatId { get; } = chatId;
}
