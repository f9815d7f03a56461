using Mesh.Bot.Conversations;
using Mesh.Bot.Features.Language;
using Mesh.Bot.Features.Profile;
using Mesh.Bot.Telegram;
using Mesh.Bot.Updates;
using Microsoft.Extensions.Options;

namespace Mesh.Bot.Features.Start;

/// <summary>
/// The first router: <c>/start</c> and <c>/cancel</c> (always win, at any step, and leave any flow), <c>/help</c>, the
/// main menu and the menu buttons of what comes later (billing, support), which answer "coming soon".
/// </summary>
public sealed class StartFeature(IOptions<TelegramOptions> options) : IBotFeature
{
    public const string MainScreen = "main";
    public const string HelpScreen = "help";

    public int Order => int.MinValue;

    public void Map(BotRouter r)
    {
        r.Command("start", StartAsync);
        r.Command("cancel", CancelAsync);
        r.Command("help", HelpAsync).KeepingDialog();
        r.Screen(MainScreen, MainMenu);
        r.Screen(HelpScreen, HelpMenu);
        r.Callback<MenuButton>(b => b.Screen == MainScreen && b.Action is "billing" or "subscription" or "support", ComingSoonAsync);
    }

    // The reset is unconditional, so it need not be waited for before the menu goes out: both are under way at once. (In
    // a dialog the dispatcher has reset it already, as for any known command, and this one changes nothing; outside one
    // it writes only a state never written.) A link's start parameter opens its screen (t.me/<bot>?start=profile, given
    // in groups: the profile, under the greeting); any other, the main menu.
    static Task StartAsync(BotContext ctx)
    {
        var t = ctx.Texts;
        var screen = BotCommand.PayloadOf(ctx.Text).SequenceEqual(ProfileFeature.StartPayload) ? ProfileFeature.Screen : MainScreen;
        return Task.WhenAll(ctx.Flow.ResetAsync(), ctx.OpenMenuAsync(screen, t.Format(t.Greeting, ctx.From?.FirstName ?? "")));
    }

    // A dialog the user was in has been reset by the dispatcher already (any known command ends one): what the update
    // found tells whether there was something to cancel. The main menu comes either way.
    static Task CancelAsync(BotContext ctx) =>
        Task.WhenAll(ctx.Flow.ResetAsync(),
            ctx.OpenMenuAsync(MainScreen, ctx.Flow.FoundStep is null ? ctx.Texts.NothingToCancel : ctx.Texts.Cancelled));

    // Help in the middle of a dialog keeps the dialog (its answers so far are not lost), and says so.
    static Task HelpAsync(BotContext ctx) =>
        ctx.ReplyAsync(ctx.Flow.Step is null ? ctx.Texts.Help : ctx.Texts.Help + "\n\n" + ctx.Texts.StillInDialog);

    static Task ComingSoonAsync(BotContext ctx, MenuButton button) => ctx.AnswerAsync(ctx.Texts.ComingSoon);

    Task MainMenu(BotContext ctx, MenuBuilder menu)
    {
        var t = ctx.Texts;
        menu.Text = t.MainMenu;
        menu.Row(menu.Action(t.ButtonBuyTokens, "billing"), menu.Action(t.ButtonSubscription, "subscription"))
            .Row(menu.Action(t.ButtonSupport, "support"), menu.Go(t.ButtonProfile, ProfileFeature.Screen))
            .Row(menu.Go(t.ButtonLanguage, LanguageFeature.Screen), menu.Go(t.ButtonHelp, HelpScreen));
        // A web app's button is allowed only in a private chat with the bot (Telegram refuses the whole message in a group).
        var webApp = options.Value.WebAppUrl;
        if (!ctx.InGroup && Uri.TryCreate(webApp, UriKind.Absolute, out var url) && url.Scheme == Uri.UriSchemeHttps)
        {
            menu.Row(menu.WebApp(t.ButtonOpenApp, webApp));
        }
        return Task.CompletedTask;
    }

    static Task HelpMenu(BotContext ctx, MenuBuilder menu)
    {
        menu.Text = ctx.Texts.Help;
        menu.Row(menu.Go(ctx.Texts.ButtonBack, MainScreen));
        return Task.CompletedTask;
    }
}

/// <summary>A message text read as a command: <c>/start@MeshBot payload</c> → the command <c>start</c>, addressed to <c>MeshBot</c>.</summary>
public static class BotCommand
{
    /// <summary>The command, in lower case; null when the text is not a command.</summary>
    public static string? Of(string? text)
    {
        if (string.IsNullOrEmpty(text) || text[0] != '/')
        {
            return null;
        }
        var word = WordOf(text);
        var at = word.IndexOf('@');
        return (at < 0 ? word : word[..at]).ToString().ToLowerInvariant();
    }

    /// <summary>
    /// The bot a command is addressed to: <c>/start@MeshBot payload</c> → <c>MeshBot</c>; empty when the text is not a
    /// command or names no bot. A slice of the text, nothing allocated.
    /// </summary>
    public static ReadOnlySpan<char> AddresseeOf(string? text)
    {
        if (string.IsNullOrEmpty(text) || text[0] != '/')
        {
            return default;
        }
        var word = WordOf(text);
        var at = word.IndexOf('@');
        return at < 0 ? default : word[(at + 1)..];
    }

    /// <summary>
    /// What follows a command's word, trimmed: <c>/start@MeshBot profile</c> → <c>profile</c> (a link's start parameter);
    /// empty when the text is not a command or has nothing after it. A slice of the text, nothing allocated.
    /// </summary>
    public static ReadOnlySpan<char> PayloadOf(string? text)
    {
        if (string.IsNullOrEmpty(text) || text[0] != '/')
        {
            return default;
        }
        return text.AsSpan(1 + WordOf(text).Length).Trim();
    }

    /// <summary>The command's word, after its '/' and up to the first space or line break: <c>start@MeshBot</c>.</summary>
    static ReadOnlySpan<char> WordOf(string text)
    {
        var word = text.AsSpan(1);
        var end = word.IndexOfAny(' ', '\n');
        return end < 0 ? word : word[..end];
    }
}
