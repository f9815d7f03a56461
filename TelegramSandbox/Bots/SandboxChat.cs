using System.Text.Json.Nodes;
using Mesh.TelegramSandbox.Client;

namespace Mesh.TelegramSandbox.Bots;

/// <summary>
/// A chat of one bot: a private chat with one user (its id is the user's), or a group (<c>group</c> or
/// <c>supergroup</c>, a negative id, a title) of several members and the bot. Mutated only under the bot's lock.
/// </summary>
public sealed class SandboxChat
{
    public const string Private = "private", Group = "group", Supergroup = "supergroup";

    private int lastMessageId;

    /// <summary>A private chat with <paramref name="user"/>.</summary>
    public SandboxChat(long id, SandboxUserProfile user)
    {
        Id = id;
        User = user;
        Type = Private;
    }

    /// <summary>A group of <paramref name="members"/>, the first of whom added the bot.</summary>
    public SandboxChat(long id, string type, string title, IReadOnlyList<SandboxUserProfile> members)
    {
        Id = id;
        Type = type;
        Title = title;
        User = members[0];
        foreach (var member in members) Members[member.Id] = member;
    }

    public long Id { get; }

    /// <summary><see cref="Private"/>, <see cref="Group"/> or <see cref="Supergroup"/>, as Telegram's <c>Chat.type</c>.</summary>
    public string Type { get; }

    public bool IsGroup => Type != Private;

    /// <summary>A group's title; null for a private chat.</summary>
    public string? Title { get; }

    /// <summary>A private chat's user; in a group, the member who added the bot.</summary>
    public SandboxUserProfile User { get; set; }

    /// <summary>A group's members (not the bot) by id, as each last acted; empty for a private chat.</summary>
    public Dictionary<long, SandboxUserProfile> Members { get; } = [];

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

    /// <summary>Who wrote a user's message: its author in a group, the chat's user in a private chat.</summary>
    public SandboxUserProfile AuthorOf(SandboxMessage message) => message.From ?? User;
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
