using Mesh.Bot.Conversations;
using Mesh.Bot.Features.Start;
using Mesh.Bot.Texts;
using Mesh.Bot.Updates;

namespace Mesh.Bot.Features.Language;

/// <summary><c>/language</c> and the menu's language screen: one button per language; the choice is kept per user.</summary>
public sealed class LanguageFeature(LanguageStore languages) : IBotFeature
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
    }
}
