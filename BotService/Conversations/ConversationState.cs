namespace Mesh.Bot.Conversations;

/// <summary>Where one user is in one chat: the step (null when in no flow), its data as JSON, and the version the next write must match.</summary>
public sealed record ConversationState(Step? Step, string? Data, long Version, DateTimeOffset? UpdatedAt)
{
    public static readonly ConversationState None = new(null, null, 0, null);
}

/// <summary>The conversation was changed by someone else since it was read (optimistic concurrency); read it again and retry.</summary>
public sealed class ConversationConflict(long chatId, long userId, long expectedVersion)
    : Exception($"The conversation of user {userId} in chat {chatId} is no longer at version {expectedVersion}.")
{
    public long ExpectedVersion { get; } = expectedVersion;
}
