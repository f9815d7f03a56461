using System.Text.Json;

namespace Mesh.Bot.Conversations;

/// <summary>
/// <c>ctx.Flow</c>: where this user is in this chat — the <see cref="Step"/> and its data — read from Redis when the
/// update arrives. Moves are compare-and-set on the version read: if another update (on any replica) moved the
/// conversation meanwhile, <see cref="MoveToAsync"/> throws <see cref="ConversationConflict"/> and the update is tried again.
/// Each move records <paramref name="user"/> (when known) with the step: whom an operator's reset of the dialog tells.
/// </summary>
public sealed class ConversationFlow(ConversationStore store, long chatId, long userId, ConversationState state, DialogUser? user = null)
{
    static readonly JsonSerializerOptions Json = JsonSerializerOptions.Web;

    ConversationState state = state;

    /// <summary>
    /// The step the update found the conversation at, whatever moves were made since: a command that ends a dialog has
    /// reset it before its handler runs (<see cref="BotDispatcher"/>), and <c>/cancel</c> tells by this whether there was
    /// one to cancel.
    /// </summary>
    public Step? FoundStep { get; } = state.Step;

    /// <summary>The current step, or null outside any flow.</summary>
    public Step? Step => state.Step;

    public long Version => state.Version;

    public bool IsAt(Step step) => state.Step == step;

    /// <summary>The data saved with the current step, or default when there is none (or it is of another shape).</summary>
    public T? Data<T>()
    {
        if (string.IsNullOrEmpty(state.Data))
        {
            return default;
        }
        try
        {
            return JsonSerializer.Deserialize<T>(state.Data, Json);
        }
        catch (JsonException)
        {
            return default;
        }
    }

    /// <summary>Moves the conversation to <paramref name="step"/> with <paramref name="data"/> (kept as JSON).</summary>
    public async Task MoveToAsync<T>(Step step, T data) =>
        state = await store.SetAsync(chatId, userId, state.Version, step, JsonSerializer.Serialize(data, Json), user);

    public async Task MoveToAsync(Step step) =>
        state = await store.SetAsync(chatId, userId, state.Version, step, null, user);

    /// <summary>
    /// Leaves the flow (whatever its version). A stored state already out of any flow is left as it is — most
    /// <c>/start</c>s come from users in no flow, and a write would change nothing for them: a writer that read this
    /// version read this very state. A state never written (version 0) is written, so that any writer that read
    /// "nothing" before the reset loses.
    /// </summary>
    public async Task ResetAsync()
    {
        if (state is { Version: > 0, Step: null, Data: null })
        {
            return;
        }
        state = await store.ResetAsync(chatId, userId);
    }
}
