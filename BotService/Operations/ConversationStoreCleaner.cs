using Mesh.Bot.Conversations;

namespace Mesh.Bot.Operations;

/// <summary>The operators' "clear stuck conversations", done by the conversation engine's store.</summary>
public sealed class ConversationStoreCleaner(ConversationStore store) : IConversationCleaner
{
    public Task<long> ClearAsync(TimeSpan? olderThan, CancellationToken cancellationToken) => store.ClearAsync(olderThan, cancellationToken);
}
