namespace Mesh.Bot.Operations;

/// <summary>What an operator's "clear stuck conversations" did.</summary>
/// <param name="DialogsReset">Dialogs reset by this clear.</param>
/// <param name="UsersTold">Notices queued by this clear: one per dialog reset, less those that could not be (a key not
/// of the store's shape), plus any for a reset an earlier clear made but did not get to tell (it stopped part-way).</param>
public sealed record ConversationsCleared(long DialogsReset, long UsersTold);

/// <summary>
/// Resets the dialogs users are in and tells those users (the conversation engine implements it over its Redis store):
/// menus are left as they are. <paramref name="olderThan"/> null resets every dialog; otherwise only those of users idle
/// that long.
/// </summary>
public interface IConversationCleaner
{
    Task<ConversationsCleared> ClearAsync(TimeSpan? olderThan, CancellationToken cancellationToken);
}
