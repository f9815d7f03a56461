using Mesh.Bot.Features.Start;
using Mesh.Bot.Updates;
using StackExchange.Redis;
using Telegram.Bot.Types;
using Telegram.Bot.Types.ReplyMarkups;

namespace Mesh.Bot.Conversations;

/// <summary>A menu button: go to <see cref="Screen"/> (no action) or do <see cref="Action"/> on it; <see cref="Version"/> is the keyboard's.</summary>
public sealed record MenuButton(string Screen, long Version, string Action) : CallbackData("mn");

/// <summary>
/// A menu button drawn in a group: <see cref="MenuButton"/>'s fields and the member the menu is for, <see cref="Owner"/>,
/// so that a press tells whose it is even when the message no longer says (its member's command deleted: a reply to a
/// deleted message carries no <c>reply_to_message</c>). A prefix of its own: a private chat's buttons keep their format.
/// The dispatcher checks the owner and reads the press on as the <see cref="MenuButton"/> it is (<see cref="Button"/>).
/// </summary>
public sealed record GroupMenuButton(long Owner, string Screen, long Version, string Action) : CallbackData("mg")
{
    public MenuButton Button => new(Screen, Version, Action);
}

/// <summary>
/// The text and buttons of one menu screen, drawn for one keyboard version; in a group, for <paramref name="owner"/>
/// (its buttons are <see cref="GroupMenuButton"/>s).
/// </summary>
public sealed class MenuBuilder(string screen, long version, long? owner = null)
{
    readonly List<InlineKeyboardButton[]> rows = [];

    public string Screen { get; } = screen;

    public long Version { get; } = version;

    /// <summary>The screen's text (HTML; escape values with <c>Texts.Format</c>).</summary>
    public string Text { get; set; } = "";

    public MenuBuilder Row(params InlineKeyboardButton[] buttons)
    {
        rows.Add(buttons);
        return this;
    }

    /// <summary>A button that opens another screen in place.</summary>
    public InlineKeyboardButton Go(string label, string screen) => InlineKeyboardButton.WithCallbackData(label, Pack(screen, ""));

    /// <summary>A button whose press goes to the feature's <c>r.Callback&lt;MenuButton&gt;(b =&gt; b.Action == action, …)</c>.</summary>
    public InlineKeyboardButton Action(string label, string action) => InlineKeyboardButton.WithCallbackData(label, Pack(Screen, action));

    string Pack(string screen, string action) =>
        owner is { } member ? new GroupMenuButton(member, screen, Version, action).Pack() : new MenuButton(screen, Version, action).Pack();

    public InlineKeyboardButton WebApp(string label, string url) => InlineKeyboardButton.WithWebApp(label, new WebAppInfo(url));

    /// <summary>A button that opens a link (no press reaches the bot).</summary>
    public InlineKeyboardButton Url(string label, string url) => InlineKeyboardButton.WithUrl(label, url);

    public InlineKeyboardMarkup Keyboard => new(rows);
}

/// <summary>
/// Menus edited in place. Each user's menu in a chat has a version in Redis (version, message, screen: fields of the
/// user's conversation hash, <see cref="ConversationStore"/>, which reads them with the state); every draw moves it on
/// and puts it in every button. The current menu is the stored message with the stored version: a press on another
/// message, or carrying another version, answers "this menu is outdated" and redraws the current screen on the pressed
/// message, which becomes the current menu; a press of an older keyboard on the current menu's own message (a double
/// tap: pressed again before the redraw reached the user) is answered with nothing. The message tells menus apart when
/// the versions do not: they start again at 1 once the hash is gone (expired, or cleared by an operator). With no menu
/// stored there is nothing to be outdated against, so a press is carried out (the menu the user last saw is the one
/// they press).
/// </summary>
public sealed class BotMenus(BotRouter router, ConversationStore store)
{
    /// <summary>
    /// Draws <paramref name="screen"/> with a new version, ending any dialog the user was in: in place of the pressed message, or as a new message. The
    /// version is the one read with the update plus one: the chat is leased to this worker, so nobody else draws this
    /// user's menu meanwhile, and no round trip is needed before the message goes out. Version, screen and message are
    /// written after it, in the round trip that acknowledges the update (the hash's expiry renewed when due:
    /// <see cref="ConversationStore.MenuWrite"/>).
    /// </summary>
    public async Task ShowAsync(BotContext ctx, string screen, string? header, bool inPlace)
    {
        if (ctx.Flow.Step is not null)
        {
            await ctx.Flow.ResetAsync(); // a menu replaces the dialog's question: the user has left the dialog (BotDispatcher)
        }
        var render = router.FindScreen(screen);
        if (render is null)
        {
            (screen, render) = (StartFeature.MainScreen, router.FindScreen(StartFeature.MainScreen)
                ?? throw new InvalidOperationException("No main menu screen is declared."));
        }
        var read = ctx.Menu;
        var version = read.Version + 1;
        ctx.Menu = read with { Version = version, Screen = screen };
        var menu = new MenuBuilder(screen, version, MenuOwner(ctx));
        await render(ctx, menu);
        var text = string.IsNullOrEmpty(header) ? menu.Text : header + "\n" + menu.Text;

        var messageId = inPlace ? await ctx.EditAsync(text, menu.Keyboard) : await ctx.SendAsync(text, menu.Keyboard);
        ctx.Menu = ctx.Menu with { MessageId = messageId ?? 0 };
        ctx.WriteWithAck(store.MenuWrite(ctx.ChatId, ctx.UserId, version, screen, messageId ?? 0, read.HashExpiresAt));
    }

    /// <summary>
    /// Whom a menu drawn now is for, in a group (none in a private chat): for a message, the member who sent it; for a
    /// press, the member the pressed menu is for, as its buttons name them (<see cref="ConversationContext"/>'s
    /// <c>PressedMenuOwner</c>) or, for a menu from before they did, as the message it replies to says; never the one who
    /// pressed as such. None when that message was sent on behalf of a chat (an anonymous admin's, or one posted as a
    /// channel): its sender is a stand-in account, and the admin's own id must not be put into buttons the group can
    /// read. A menu for no one is anyone's, as it was.
    /// </summary>
    internal static long? MenuOwner(BotContext ctx)
    {
        if (!ctx.InGroup)
        {
            return null;
        }
        if (ctx.Update.CallbackQuery is { } query)
        {
            return ctx.PressedMenuOwner ?? MemberAnsweredBy(query.Message);
        }
        return (ctx.Update.Message ?? ctx.Update.EditedMessage) is { SenderChat: null, From: { } from } ? from.Id : null;
    }

    /// <summary>
    /// The member whose message <paramref name="message"/> replies to; none when it replies to nothing (or to a message
    /// gone since) or to a message sent on behalf of a chat (an anonymous admin's, or one posted as a channel: its
    /// <c>from</c> is a stand-in account).
    /// </summary>
    internal static long? MemberAnsweredBy(Message? message) =>
        message is { ReplyToMessage: { From: { } member, SenderChat: null } } ? member.Id : null;

    /// <summary>
    /// Checks a menu press: an outdated one is answered and the current screen shown; a navigation button is answered
    /// and shows its screen (the answer always before the edit). True when the press is dealt with; false for an action,
    /// which the feature's route handles.
    /// </summary>
    public async Task<bool> TryHandleAsync(BotContext ctx, MenuButton button)
    {
        var current = ctx.Menu;
        var pressed = ctx.Update.CallbackQuery?.Message?.Id;
        // Version 0: no menu stored. Message 0: not known (the chat had blocked the bot when it was drawn).
        var outdated = current.Version != 0
            && (button.Version != current.Version || (current.MessageId != 0 && pressed is { } id && id != current.MessageId));
        if (outdated && current.IsShownBy(pressed))
        {
            // An older keyboard of the message that shows the current menu: pressed again before the first press's redraw
            // reached the user (a double tap). The message shows the current menu already: nothing to say or redraw.
            return true;
        }
        if (outdated)
        {
            await ctx.AnswerAsync(ctx.Texts.MenuOutdated);
            await ShowAsync(ctx, current.Screen ?? StartFeature.MainScreen, null, inPlace: true);
            return true;
        }
        if (button.Action.Length == 0)
        {
            // Answered first, as the outdated press above: a navigation's answer has no notice, so it need not wait for
            // the drawing, and the user's spinner stops at once instead of lasting through the edit's round trip and
            // any rate-limit wait before it. (Should the drawing fail, the press has been answered already, with no
            // "something went wrong": the update is tried again and draws the screen then.)
            await ctx.AnswerAsync();
            await ShowAsync(ctx, button.Screen, null, inPlace: true);
            return true;
        }
        return false;
    }
}

/// <summary>A user's menu in a chat: the version of its newest keyboard (0: none drawn yet, or no longer stored) and the screen it shows.</summary>
public readonly record struct MenuState(long Version, string? Screen)
{
    /// <summary>The message that shows it (0: unknown).</summary>
    public long MessageId { get; init; }

    /// <summary>Whether <paramref name="messageId"/> is the message known to show it.</summary>
    public bool IsShownBy(int? messageId) => MessageId != 0 && messageId == MessageId;

    /// <summary>When the hash holding it expires, as its last recorded renewal set it (<see cref="ConversationStore.ExpiresAt"/>); null: unknown.</summary>
    public DateTimeOffset? HashExpiresAt { get; init; }
}
