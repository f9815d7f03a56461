namespace Mesh.Bot.Operations;

/// <summary>
/// Clears stored conversation states (the conversation engine implements it over its Redis store).
/// <paramref name="olderThan"/> null clears every state; otherwise only states untouched for that long.
/// </summary>
public interface IConversationCleaner
{
    Task<long> ClearAsync(TimeSpan? olderThan, CancellationToken cancellationToken);
}
