using System.Collections.Frozen;
using Mesh.Bot.Telegram;
using Mesh.Bot.Updates;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;

namespace Mesh.Bot.Conversations;

/// <summary>
/// The router's middleware: gives the update to its route, answers what no route takes (an unknown command, text
/// where buttons are expected or outside any dialog, an outdated button) and answers every button press — with an error notice when the
/// handler fails before it answered (the failure is rethrown, so the update is tried again), with nothing when the handler did not. A
/// message edited by the user goes to the dialog it may have answered, or nowhere (<see cref="DispatchEditAsync"/>). A
/// private chat's member update (the user blocked or unblocked the bot) goes to <see cref="ChatMemberTracking"/>. A
/// command addressed to another bot (<c>/help@OtherBot</c>: <see cref="BotIdentity"/>) gets no answer at all, in any
/// chat: in a group it is the other bot's to answer, and in a private chat with this bot it is no command of this bot's
/// either (Telegram delivers it; the user named another bot).
/// <para>
/// In a group, the bot answers only what is meant for it: its commands, a command addressed to it (<c>/foo@thisbot</c>
/// gets "unknown command"; <c>/foo</c> alone may be another bot's and gets nothing), and a dialog's answers; other text
/// and replies to its messages get no answer there. A keyboard is the member's it was drawn for: it replies to their message (<see cref="BotContext.ReplyTo"/>),
/// and another member's press on it gets a notice and changes nothing (<see cref="IsSomeoneElses"/>). Conversations,
/// menus and languages are each member's own already (<see cref="ConversationStore"/>); without this, a press was read
/// against the presser's menu and carried out on the other member's message.
/// </para>
/// <para>
/// Leaving a dialog: a dialog lasts while the user answers it, and whatever takes them elsewhere ends it — a command the
/// bot knows (any but the step's own routes), here, and any menu drawn (Back, another screen, a language chosen), in
/// <see cref="BotMenus.ShowAsync"/>. What leaves them where the question left them does not: an unknown command, a
/// message of the wrong kind for the step, a "coming soon" button. So text typed after navigating away is never taken
/// as an answer to a question no longer on screen.
/// </para>
/// </summary>
public sealed class BotDispatcher(BotRouter router, BotMenus menus, ChatMemberTracking members, BotIdentity identity) : IBotMiddleware
{
    public async Task InvokeAsync(BotContext ctx, Func<Task> next)
    {
        if (ctx.Update.CallbackQuery is not null)
        {
            await DispatchCallbackAsync(ctx);
        }
        else if (ctx.Update.Message is not null)
        {
            await DispatchMessageAsync(ctx);
        }
        else if (ctx.Update.EditedMessage is not null)
        {
            await DispatchEditAsync(ctx);
        }
        else if (ctx.Update.MyChatMember is not { } change || !await members.TrackAsync(ctx, change))
        {
            await next();
        }
    }

    /// <summary>What a user writes or sends, as opposed to a service message Telegram writes about the chat.</summary>
    static readonly FrozenSet<MessageType> FromTheUser = FrozenSet.Create(
        MessageType.Text, MessageType.Photo, MessageType.Audio, MessageType.Video, MessageType.Voice, MessageType.Document,
        MessageType.Sticker, MessageType.Location, MessageType.Contact, MessageType.Venue, MessageType.VideoNote,
        MessageType.Poll, MessageType.Dice, MessageType.Animation, MessageType.Story, MessageType.Game);

    async Task DispatchMessageAsync(BotContext ctx)
    {
        if (identity.IsAnotherBots(ctx.Text))
        {
            ctx.RouteName = "another bot's command"; // not even "unknown command", and a dialog the user is in goes on
            return;
        }
        if (router.Match(ctx) is { } route)
        {
            ctx.RouteName = route.Name;
            if (ctx.Flow.Step is not null && route.Step is null && !route.KeepsDialog && ctx.Command is not null)
            {
                await ctx.Flow.ResetAsync(); // another command: the user has left the dialog
            }
            await route.Handler(ctx);
            ctx.Handled = true;
            return;
        }
        var t = ctx.Texts;
        ctx.RouteName = "fallback";
        if (!FromTheUser.Contains(ctx.Update.Message!.Type))
        {
            // A service message (a member joined or left a group, a pinned message, a group migrated…): nothing to answer.
            ctx.RouteName = "service message";
        }
        else if (ctx.Command is not null && (!ctx.InGroup || !Features.Start.BotCommand.AddresseeOf(ctx.Text).IsEmpty))
        {
            await ctx.ReplyAsync(t.UnknownCommand);
        }
        else if (ctx.Flow.Step is { } step)
        {
            // In a flow, but this step has no route for this message: it wants buttons, or text and got something else.
            await ctx.ReplyAsync(router.TakesText(step) ? t.TextExpected : t.UseTheButtons);
        }
        else if (ctx.InGroup)
        {
            // In a group, what is not for this bot gets no answer: a command for no bot in particular (/foo may be
            // another bot's), a reply to the bot's message ("thanks"), or, to a bot that is an admin or has privacy mode
            // off, every message of the group. Only a command addressed to it (/foo@thisbot) is told it is unknown.
            ctx.RouteName = "not for this bot";
        }
        else
        {
            await ctx.ReplyAsync(t.NotUnderstood); // text, a photo, a sticker… when nothing asked for one
        }
    }

    /// <summary>
    /// An edit goes to the route of the dialog the user is in (<see cref="BotRouter.EditedText"/>: an answer corrected);
    /// any other (an old answer of a dialog that ended, a command, text outside a dialog) gets no reaction at all, as in
    /// any chat: a user fixing a typo in an old message expects nothing, least of all "I didn't understand".
    /// </summary>
    async Task DispatchEditAsync(BotContext ctx)
    {
        if (router.Match(ctx) is { } route)
        {
            ctx.RouteName = route.Name;
            await route.Handler(ctx);
            ctx.Handled = true;
            return;
        }
        ctx.RouteName = "edit";
    }

    async Task DispatchCallbackAsync(BotContext ctx)
    {
        try
        {
            var query = ctx.Update.CallbackQuery!;
            var someoneElses = IsSomeoneElses(query);
            if (!someoneElses && GroupMenuButtonOf(query.Data) is { } pressed)
            {
                // Its own member's press: read on as the MenuButton it is (routes and menus know only that), and a
                // redraw is for that member again.
                query.Data = pressed.Button.Pack();
                ctx.PressedMenuOwner = pressed.Owner;
            }
            if (someoneElses)
            {
                ctx.RouteName = "someone else's keyboard";
                await ctx.AnswerAsync(ctx.Texts.MenuOfSomeoneElse);
            }
            else if (CallbackData.Unpack<MenuButton>(query.Data) is { } button && await menus.TryHandleAsync(ctx, button))
            {
                ctx.RouteName = "menu";
            }
            else if (router.Match(ctx) is { } route)
            {
                ctx.RouteName = route.Name;
                await route.Handler(ctx);
            }
            else if (ctx.Menu.IsShownBy(query.Message?.Id))
            {
                // A button of the keyboard this message had before it became the current menu (Save pressed twice: the
                // first press turned the summary into the profile): it shows what the first press did, nothing to add.
                ctx.RouteName = "replaced button";
            }
            else
            {
                ctx.RouteName = "outdated button";
                await ctx.AnswerAsync(ctx.Texts.ButtonOutdated);
            }
        }
        catch (Exception) when (!ctx.CancellationToken.IsCancellationRequested && !ctx.CallbackAnswered)
        {
            await ctx.AnswerAsync(ctx.Texts.SomethingWentWrong);
            throw;
        }
        await ctx.AnswerAsync();
        ctx.Handled = true;
    }

    /// <summary>
    /// Whether the pressed keyboard, in a group, was drawn for another member. A menu drawn in a group names its member
    /// in its buttons (<see cref="GroupMenuButton"/>), which says it even once the message replies to nothing (the
    /// member's command deleted). Any other keyboard is theirs when the message replies to a message of theirs; one
    /// that replies to nothing (drawn before menus named their member) is anyone's, as is one in a private chat, and
    /// one that answers a message sent on behalf of a chat (an anonymous admin's, or one posted as a channel): its
    /// sender, in <c>from</c>, is a stand-in account (GroupAnonymousBot), not whoever presses.
    /// </summary>
    internal static bool IsSomeoneElses(CallbackQuery query) =>
        GroupMenuButtonOf(query.Data) is { } drawn
            ? drawn.Owner != query.From.Id
            : query.Message is { Chat.Type: ChatType.Group or ChatType.Supergroup } && BotMenus.MemberAnsweredBy(query.Message) is { } owner
                && owner != query.From.Id;

    /// <summary>The data of a group menu's button, read; null for any other (a private chat's button costs a prefix check, not a parse).</summary>
    static GroupMenuButton? GroupMenuButtonOf(string? data) =>
        data is not null && data.StartsWith(GroupMenuButtonPrefix, StringComparison.Ordinal) ? CallbackData.Unpack<GroupMenuButton>(data) : null;

    static readonly string GroupMenuButtonPrefix = CallbackData.PrefixOf<GroupMenuButton>() + ":";
}
