using Mesh.Bot.Texts;
using Mesh.Bot.Updates;

namespace Mesh.Bot.Conversations;

/// <summary>
/// Puts the user's conversation state in this chat into <c>ctx.Flow</c>, their menu into <c>ctx.Menu</c> (both from one
/// hash) and the user's language into <c>ctx.Texts</c>: the one chosen with <c>/language</c>, else Telegram's
/// <c>language_code</c>; the flow records that language (and, in a group, the user's first name) with each step, for an
/// operator's reset to tell the user in. In a private chat the queue has read them already, with the update (<see cref="SnapshotKeys"/>);
/// elsewhere they take one round trip of two commands.
/// </summary>
public sealed class UserContext(ConversationStore store, LanguageStore languages) : IBotMiddleware
{
    /// <summary>What the queue reads for a private chat, whose one user is the chat: this user's hash and language.</summary>
    public static ChatSnapshotKeys SnapshotKeys(ConversationStore store, LanguageStore languages) =>
        new(store.KeyPrefix, ConversationStore.Separator, ConversationStore.Fields, languages.KeyPrefix);

    public async Task InvokeAsync(BotContext ctx, Func<Task> next)
    {
        var userId = ctx.UserId;
        ConversationState conversation;
        MenuState menu;
        BotLanguage? chosen;
        if (ctx.Snapshot is { } snapshot && ctx.From?.Id == ctx.ChatId) // the chat's own user (then userId is the chat too)
        {
            (conversation, menu) = ConversationStore.Parse(snapshot.HashFields);
            chosen = LanguageStore.Parse(snapshot.String);
        }
        else
        {
            // Both commands are written before either is awaited, so the multiplexer sends them together.
            var state = store.GetWithMenuAsync(ctx.ChatId, userId);
            var language = ctx.From is { } user ? languages.GetAsync(user.Id) : Task.FromResult<BotLanguage?>(null);
            (conversation, menu) = await state;
            chosen = await language;
        }
        ctx.Texts = BotTexts.For(chosen ?? BotLanguages.FromCode(ctx.From?.LanguageCode));
        // In a group, the name to mention the user by should an operator reset their dialog (in their own chat the notice needs none).
        var dialogUser = new DialogUser(ctx.Texts.Language, userId != ctx.ChatId ? ctx.From?.FirstName : null);
        ctx.Flow = new ConversationFlow(store, ctx.ChatId, userId, conversation, dialogUser);
        ctx.Menu = menu;
        await next();
    }
}
