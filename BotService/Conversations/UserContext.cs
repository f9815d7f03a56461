using Mesh.Bot.Texts;
using Mesh.Bot.Updates;

namespace Mesh.Bot.Conversations;

/// <summary>
/// Reads, in one Redis round trip, the user's conversation state in this chat into <c>ctx.Flow</c>, their menu into
/// <c>ctx.Menu</c> and the user's
/// language into <c>ctx.Texts</c>: the one chosen with <c>/language</c>, else Telegram's <c>language_code</c>.
/// </summary>
public sealed class UserContext(ConversationStore store, LanguageStore languages, BotMenus menus) : IBotMiddleware
{
    public async Task InvokeAsync(BotContext ctx, Func<Task> next)
    {
        var userId = ctx.UserId;
        // The commands are all written before any is awaited, so the multiplexer sends them together.
        var state = store.GetAsync(ctx.ChatId, userId);
        var menu = menus.ReadAsync(ctx.ChatId, userId);
        var chosen = ctx.From is { } user ? languages.GetAsync(user.Id) : Task.FromResult<BotLanguage?>(null);
        ctx.Flow = new ConversationFlow(store, ctx.ChatId, userId, await state);
        ctx.Menu = await menu;
        ctx.Texts = BotTexts.For(await chosen ?? BotLanguages.FromCode(ctx.From?.LanguageCode));
        await next();
    }
}
