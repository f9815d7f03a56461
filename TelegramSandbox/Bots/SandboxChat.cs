using System.Text.Json.Nodes;
using Mesh.TelegramSandbox.Client;

namespace Mesh.TelegramSandbox.Bots;

/// <summary>A private chat between one user and one bot. Mutated only under the bot's lock.</summary>
public sealed class SandboxChat(long id, SandboxUserProfile user)
{
    private int lastMessageId;

    public long Id { get; } = id;
    public SandboxUserProfile User { get; set; } = user;
    public bool Blocked { get; set; }
    public List<SandboxMessage> Messages { get; } = [];
    /// <summary>The reply keyboard currently shown to the user, if any.</summary>
    public JsonObject? ReplyKeyboard { get; set; }
    public string? ChatAction { get; set; }
    public long ChatActionUntil { get; set; }
    public List<SandboxCallbackAnswer> CallbackAnswers { get; } = [];
    public ChangeSignal Changed { get; } = new();

    public int NextMessageId() => ++lastMessageId;

    public SandboxMessage? Find(int messageId) =>
        messageId > 0 && messageId <= Messages.Count && Messages[messageId - 1].MessageId == messageId
            ? Messages[messageId - 1]
            : Messages.Find(m => m.MessageId == messageId);
}

/// <summary>A callback query raised by a button press, until the bot answers it or its timeout passes.</summary>
public sealed class CallbackQueryRecord
{
    public required string Id { get; init; }
    public required long ChatId { get; init; }
    public required int MessageId { get; init; }
    public string? Data { get; init; }
    /// <summary>The last moment an answer is taken: the press plus the timeout in force then.</summary>
    public required DateTimeOffset AnswerBy { get; init; }
}
