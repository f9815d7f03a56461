using Mesh.Bot.Texts;
using Mesh.Bot.Updates;

namespace Mesh.Bot.Conversations;

/// <summary>
/// Reads, in one Redis round trip of two commands, the user's conversation state in this chat into <c>ctx.Flow</c>, their
/// menu into <c>ctx.Menu</c> (both from one hash) and the user's
/// language into <c>ctx.Texts</c>: the one chosen with <c>/language</c>, else Telegram's <c>language_code</c>.
/// </summary>
public sealed class UserContext(ConversationStore store, LanguageStore languages) : IBotMiddleware
{
    public async Task InvokeAsync(BotContext ctx, Func<Task> next)
    {
        var userId = ctx.UserId;
        // Both commands are written before either is awaited, so the multiplexer sends them together.
        var state = store.GetWithMenuAsync(ctx.ChatId, userId);
        var chosen = ctx.From is { } user ? languages.GetAsync(user.Id) : Task.FromResult<BotLanguage?>(null);
        var (conversation, menu) = await state;
        ctx.Flow = new ConversationFlow(store, ctx.ChatId, userId, conversation);
        ctx.Menu = menu;
        ctx.Texts = BotTexts.For(await chosen ?? BotLanguages.FromCode(ctx.From?.LanguageCode));
        await next();
    }
}
