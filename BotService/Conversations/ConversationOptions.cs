namespace Mesh.Bot.Conversations;

/// <summary>Conversation settings, in the <c>Bot</c> section beside the queue settings.</summary>
public sealed class ConversationOptions
{
    /// <summary>How long a conversation state (and a menu's version) lives after its last change: stuck states expire.</summary>
    public TimeSpan ConversationTtl { get; set; } = TimeSpan.FromHours(24);
}
