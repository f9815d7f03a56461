using Mesh.Bot.Updates;

namespace Mesh.Bot.Conversations;

/// <summary>Reads the user's conversation state in this chat from Redis into <c>ctx.Flow</c>.</summary>
public sealed class UserContext(ConversationStore store) : IBotMiddleware
{
    public async Task InvokeAsync(BotContext ctx, Func<Task> next)
    {
        var userId = ctx.UserId;
        ctx.Flow = new ConversationFlow(store, ctx.ChatId, userId, await store.GetAsync(ctx.ChatId, userId));
        await next();
    }
}
