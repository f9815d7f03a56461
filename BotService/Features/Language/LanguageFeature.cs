using Mesh.Bot.Conversations;
using Mesh.Bot.Features.Start;
using Mesh.Bot.Texts;
using Mesh.Bot.Updates;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using BotCommandScope = Telegram.Bot.Types.BotCommandScope;

namespace Mesh.Bot.Features.Language;

/// <summary>
/// <c>/language</c> and the menu's language screen: one button per language; the choice is kept per user, and the
/// commands Telegram lists under "/" follow it in that chat (the ones registered per language follow the Telegram app's
/// language, <see cref="BotCommandsPublisher"/>).
/// </summary>
public sealed partial class LanguageFeature(LanguageStore languages, ITelegramBotClient bot, ILogger<LanguageFeature> logger) : IBotFeature
{
    public const string Screen = "language";

    public void Map(BotRouter r)
    {
        r.Command("language", ctx => ctx.OpenMenuAsync(Screen));
        r.Screen(Screen, LanguageMenu);
        r.Callback<MenuButton>(b => b.Screen == Screen && BotLanguages.TryParse(b.Action, out _), ChooseAsync);
    }

    static Task LanguageMenu(BotContext ctx, MenuBuilder menu)
    {
        menu.Text = ctx.Texts.ChooseLanguage;
        foreach (var language in BotLanguages.All)
        {
            var name = BotTexts.For(language).LanguageName;
            menu.Row(menu.Action(language == ctx.Language ? name + " ✓" : name, language.Code()));
        }
        menu.Row(menu.Go(ctx.Texts.ButtonBack, StartFeature.MainScreen));
        return Task.CompletedTask;
    }

    async Task ChooseAsync(BotContext ctx, MenuButton button)
    {
        var language = BotLanguages.FromCode(button.Action);
        await languages.SetAsync(ctx.UserId, language);
        ctx.Texts = BotTexts.For(language);
        await ctx.AnswerAsync(ctx.Texts.LanguageChanged);
        await ctx.ShowMenuAsync(StartFeature.MainScreen);
        await ListCommandsInAsync(ctx, language);
    }

    /// <summary>
    /// The "/" list of this user in this chat in <paramref name="language"/> (they saw it in the app's language whatever
    /// they chose): in a group, the group's shorter list. Not getting it through changes nothing else: the choice is made and shown; it is logged.
    /// </summary>
    async Task ListCommandsInAsync(BotContext ctx, BotLanguage language)
    {
        BotCommandScope scope = ctx.ChatId == ctx.UserId ? BotCommandScope.Chat(ctx.ChatId) : BotCommandScope.ChatMember(ctx.ChatId, ctx.UserId);
        try
        {
            await bot.SetMyCommands(BotCommandsPublisher.CommandsOf(BotTexts.For(language), group: ctx.InGroup), scope, cancellationToken: ctx.CancellationToken);
        }
        catch (Exception e) when (e is RequestException or HttpRequestException && !ctx.CancellationToken.IsCancellationRequested)
        {
            // The exception's message may hold the request URL, and so the token: its type only.
            LogCommandsNotListed(logger, ctx.ChatId, e.GetType().Name);
        }
    }

    [LoggerMessage(40, LogLevel.Warning, "Listing the commands in the chosen language in chat {ChatId} failed ({Error}); they stay in the app's language")]
    static partial void LogCommandsNotListed(ILogger logger, long chatId, string error);
}
