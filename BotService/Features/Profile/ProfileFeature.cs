using System.Globalization;
using Mesh.Bot.Conversations;
using Mesh.Bot.Features.Start;
using Mesh.Bot.Telegram;
using Mesh.Bot.Texts;
using Mesh.Bot.Updates;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Telegram.Bot.Types.ReplyMarkups;

namespace Mesh.Bot.Features.Profile;

/// <summary>The steps of filling in the profile: name → city → about → confirm.</summary>
public static class ProfileFlow
{
    public static readonly Step Name = new("profile.name");
    public static readonly Step City = new("profile.city");
    public static readonly Step About = new("profile.about");
    public static readonly Step Confirm = new("profile.confirm");
}

/// <summary>
/// What the user has answered so far, kept with the step (as JSON), and which of their messages gave each answer, so
/// that an edit of one in Telegram replaces it; the summary's message, to redraw it then. A message id is 0 when not
/// known: a draft written before they were kept (it reads as before, and an edit of its answers goes unnoticed), or a
/// summary not delivered.
/// </summary>
public sealed record ProfileDraft(string? Name = null, string? City = null, string? About = null)
{
    public int NameMessage { get; init; }
    public int CityMessage { get; init; }
    public int AboutMessage { get; init; }
    public int SummaryMessage { get; init; }

    /// <summary>The message refused as this step's answer (too long), which the user may edit to fit; 0 when none.</summary>
    public int RefusedMessage { get; init; }
}

/// <summary>The buttons under the profile's summary.</summary>
public sealed record ProfileButton(string Action) : CallbackData("pf");

/// <summary>
/// The user's profile: a menu screen that shows it, and a four-step dialog that fills it in (<c>/profile</c> or the
/// menu's button). The dialog's state is in Redis, so it goes on on any replica and after a restart. Each step asks its
/// question first and moves on only once it was sent: a send that fails throws, the update is tried again, and the
/// retry must find the user where the failed try did (moved first, the answer to one question was taken as the next's).
/// An answer the user edits in Telegram while the dialog goes on replaces the one they gave, and one refused at the step
/// the dialog is at, edited to fit, answers it (<see cref="AnswerEditedAsync"/>).
/// <para>
/// A profile is kept to the private chat with the bot: in a group, <c>/profile</c> and the menu's button say so, with
/// a link (<c>t.me/&lt;bot&gt;?start=profile</c>) whose <c>/start profile</c> opens it there (<see cref="StartPayload"/>),
/// and show nothing of it to the group. The dialog is not started in a group either.
/// </para>
/// </summary>
public sealed class ProfileFeature(IConnectionMultiplexer redis, BotIdentity identity, IOptions<BotOptions> options) : IBotFeature
{
    public const string Screen = "profile";

    /// <summary>The start parameter of the link to the profile (<c>/start profile</c>), which opens it.</summary>
    public const string StartPayload = "profile";

    // The three answers together, the longest template and its markup stay well within one message (4,096).
    static readonly AnswerLimit MaxName = new(64, 512);
    static readonly AnswerLimit MaxCity = new(64, 512);
    static readonly AnswerLimit MaxAbout = new(500, 2048);

    readonly string prefix = options.Value.RedisKeyPrefix + "profile:";

    public void Map(BotRouter r)
    {
        r.Command("profile", ctx => ctx.OpenMenuAsync(Screen));
        r.Screen(Screen, ProfileMenuAsync);
        r.Callback<MenuButton>(b => b.Screen == Screen && b.Action == "edit", EditAsync);
        r.Text(ProfileFlow.Name, NameAsync);
        r.Text(ProfileFlow.City, CityAsync);
        r.Text(ProfileFlow.About, AboutAsync);
        r.EditedText(ProfileFlow.Name.Flow, AnswerEditedAsync);
        r.Callback<ProfileButton>(b => b.Action == "save", SaveAsync).At(ProfileFlow.Confirm);
        r.Callback<ProfileButton>(b => b.Action == "again", StartOverAsync).At(ProfileFlow.Confirm);
        r.Callback<ProfileButton>(b => b.Action == "again", AskedAgainAsync).At(ProfileFlow.Name);
    }

    async Task ProfileMenuAsync(BotContext ctx, MenuBuilder menu)
    {
        var t = ctx.Texts;
        if (ctx.InGroup)
        {
            menu.Text = t.ProfileInPrivateChat;
            if (identity.Username is { } me)
            {
                menu.Row(menu.Url(t.ButtonOpenProfile, $"https://t.me/{me}?start={StartPayload}"));
            }
            menu.Row(menu.Go(t.ButtonBack, StartFeature.MainScreen));
            return;
        }
        var profile = await LoadAsync(ctx.UserId);
        menu.Text = profile is null ? t.ProfileEmpty : t.Format(t.ProfileCard, profile.Name, profile.City, profile.About);
        menu.Row(menu.Action(profile is null ? t.ButtonFillProfile : t.ButtonEditProfile, "edit"))
            .Row(menu.Go(t.ButtonBack, StartFeature.MainScreen));
    }

    static async Task EditAsync(BotContext ctx, MenuButton button)
    {
        if (ctx.InGroup)
        {
            // A Fill in of a profile screen drawn in the group before profiles were kept to private chats: the screen as it is now.
            await ctx.AnswerAsync();
            await ctx.ShowMenuAsync(Screen);
            return;
        }
        if (ctx.Flow.Step == ProfileFlow.Name)
        {
            // Pressed again (a double tap) before answering: the question is there already; it comes again as a notice,
            // not as a second message.
            await ctx.AnswerAsync(ctx.Texts.AskName);
            return;
        }
        await ctx.AnswerAsync();
        await ctx.ReplyAsync(ctx.Texts.AskName);
        await ctx.Flow.MoveToAsync(ProfileFlow.Name, new ProfileDraft());
    }

    static Task NameAsync(BotContext ctx) => AnswerNameAsync(ctx, ctx.Text!, ctx.Update.Message!.Id);

    static Task CityAsync(BotContext ctx) => AnswerCityAsync(ctx, ctx.Text!, ctx.Update.Message!.Id);

    static Task AboutAsync(BotContext ctx) => AnswerAboutAsync(ctx, ctx.Text!, ctx.Update.Message!.Id);

    // Each step's answer, from a new message or from an edit of the one refused at that step (message: which it was).

    static async Task AnswerNameAsync(BotContext ctx, string text, int message)
    {
        var name = text.Trim();
        if (await RefusedAsync(ctx, name, MaxName, message))
        {
            return;
        }
        var draft = ctx.Flow.Data<ProfileDraft>() ?? new();
        await ctx.ReplyAsync(ctx.Texts.AskCity);
        await ctx.Flow.MoveToAsync(ProfileFlow.City, draft with { Name = name, NameMessage = message, RefusedMessage = 0 });
    }

    static async Task AnswerCityAsync(BotContext ctx, string text, int message)
    {
        var city = text.Trim();
        if (await RefusedAsync(ctx, city, MaxCity, message))
        {
            return;
        }
        var draft = ctx.Flow.Data<ProfileDraft>() ?? new();
        await ctx.ReplyAsync(ctx.Texts.AskAbout);
        await ctx.Flow.MoveToAsync(ProfileFlow.About, draft with { City = city, CityMessage = message, RefusedMessage = 0 });
    }

    static async Task AnswerAboutAsync(BotContext ctx, string text, int message)
    {
        var about = text.Trim();
        if (await RefusedAsync(ctx, about, MaxAbout, message))
        {
            return;
        }
        var draft = (ctx.Flow.Data<ProfileDraft>() ?? new()) with { About = about, AboutMessage = message, RefusedMessage = 0 };
        var (summaryText, keyboard) = Summary(ctx.Texts, draft);
        var summary = await ctx.SendAsync(summaryText, keyboard);
        // Its buttons are this chat's next updates, handled after this one: they find the dialog at Confirm.
        await ctx.Flow.MoveToAsync(ProfileFlow.Confirm, draft with { SummaryMessage = summary ?? 0 });
    }

    /// <summary>
    /// The user edited, in Telegram, a message that answered this dialog (the draft knows which): the new text replaces
    /// that answer, checked as the step checks a new one (too long: the same error, and the draft keeps what it had). The
    /// bot says what changed and, at the summary, redraws it in place: one summary, and what Save saves is always what
    /// it shows (a fresh summary below would leave the old one's buttons saving values it no longer shows). As a step
    /// does, it writes the draft last, once the messages went out, so a retry finds it as the failed try did. An edit
    /// of any other message (one that answered nothing, or an answer of a round before Start over) gets nothing. The
    /// message refused as the answer of the step the dialog is at (too long), edited, is that step's answer, checked again.
    /// </summary>
    static async Task AnswerEditedAsync(BotContext ctx)
    {
        var edited = ctx.Update.EditedMessage!;
        var draft = ctx.Flow.Data<ProfileDraft>() ?? new();
        if (draft.RefusedMessage != 0 && edited.Id == draft.RefusedMessage)
        {
            Func<BotContext, string, int, Task>? answer = ctx.Flow.IsAt(ProfileFlow.Name) ? AnswerNameAsync
                : ctx.Flow.IsAt(ProfileFlow.City) ? AnswerCityAsync
                : ctx.Flow.IsAt(ProfileFlow.About) ? AnswerAboutAsync
                : null;
            if (answer is not null)
            {
                await answer(ctx, edited.Text!, edited.Id);
                return;
            }
        }
        var newAnswer = edited.Text!.Trim();
        var t = ctx.Texts;
        // Telegram's message ids start at 1: the 0 of an answer whose message is not known matches no edit.
        var (limit, notice, changed) = edited.Id switch
        {
            var id when id == draft.NameMessage => (MaxName, t.NameUpdated, draft with { Name = newAnswer }),
            var id when id == draft.CityMessage => (MaxCity, t.CityUpdated, draft with { City = newAnswer }),
            var id when id == draft.AboutMessage => (MaxAbout, t.AboutUpdated, draft with { About = newAnswer }),
            _ => default,
        };
        if (changed is null)
        {
            ctx.RouteName = "edit of no answer";
            return;
        }
        if (await TooLongAsync(ctx, newAnswer, limit))
        {
            return;
        }
        if (ctx.Flow.IsAt(ProfileFlow.Confirm))
        {
            var (text, keyboard) = Summary(t, changed);
            changed = changed with { SummaryMessage = await ctx.EditAsync(changed.SummaryMessage, text, keyboard) ?? 0 };
        }
        await ctx.ReplyAsync(t.Format(notice, newAnswer));
        if (changed != draft)
        {
            await ctx.Flow.MoveToAsync(ctx.Flow.Step!, changed);
        }
    }

    static (string Text, InlineKeyboardMarkup Keyboard) Summary(BotTexts t, ProfileDraft draft) =>
        (t.Format(t.ConfirmProfile, draft.Name, draft.City, draft.About), new InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton.WithCallbackData(t.ButtonSave, new ProfileButton("save").Pack()),
                InlineKeyboardButton.WithCallbackData(t.ButtonStartOver, new ProfileButton("again").Pack()),
            ],
        ]));

    async Task SaveAsync(BotContext ctx, ProfileButton button)
    {
        var draft = ctx.Flow.Data<ProfileDraft>() ?? new();
        await redis.GetDatabase().HashSetAsync(KeyOf(ctx.UserId),
            [new("name", draft.Name ?? ""), new("city", draft.City ?? ""), new("about", draft.About ?? "")]);
        await ctx.Flow.ResetAsync();
        await ctx.AnswerAsync(ctx.Texts.ProfileSaved);
        await ctx.ShowMenuAsync(Screen, ctx.Texts.ProfileSaved);
    }

    static async Task StartOverAsync(BotContext ctx, ProfileButton button)
    {
        await ctx.AnswerAsync();
        await ctx.EditAsync(ctx.Texts.AskName);
        await ctx.Flow.MoveToAsync(ProfileFlow.Name, new ProfileDraft());
    }

    // Start over pressed again (a double tap; the first press turned the summary into the first question), or an older
    // summary's Start over once the dialog started again: the question is there already; it comes again as a notice,
    // as for Fill in pressed twice, rather than "This button is outdated".
    static Task AskedAgainAsync(BotContext ctx, ProfileButton button) => ctx.AnswerAsync(ctx.Texts.AskName);

    /// <summary>
    /// <see cref="TooLongAsync"/> for a step's answer: a refused one is remembered (written last, as a step writes), so
    /// that the user may edit it to fit rather than type it again.
    /// </summary>
    static async Task<bool> RefusedAsync(BotContext ctx, string answer, AnswerLimit max, int message)
    {
        if (!await TooLongAsync(ctx, answer, max))
        {
            return false;
        }
        var draft = ctx.Flow.Data<ProfileDraft>() ?? new();
        if (draft.RefusedMessage != message)
        {
            await ctx.Flow.MoveToAsync(ctx.Flow.Step!, draft with { RefusedMessage = message });
        }
        return true;
    }

    static async Task<bool> TooLongAsync(BotContext ctx, string answer, AnswerLimit max)
    {
        // Never more text elements than UTF-16 units: most answers need no counting.
        if (answer.Length <= max.Characters || (answer.Length <= max.Units && new StringInfo(answer).LengthInTextElements <= max.Characters))
        {
            return false;
        }
        await ctx.ReplyAsync(ctx.Texts.Format(ctx.Texts.TooLong, max.Characters));
        return true;
    }

    /// <summary>
    /// How long an answer may be: <paramref name="Characters"/> as the user counts them (text elements: an emoji, a flag,
    /// a letter with its accents is one), and at most <paramref name="Units"/> UTF-16 code units (what Telegram counts),
    /// a bound only characters made of many units (emoji sequences, stacked accents) come near.
    /// </summary>
    readonly record struct AnswerLimit(int Characters, int Units);

    async Task<ProfileDraft?> LoadAsync(long userId)
    {
        var fields = await redis.GetDatabase().HashGetAsync(KeyOf(userId), ["name", "city", "about"]);
        return fields[0].IsNull ? null : new ProfileDraft(fields[0], fields[1], fields[2]);
    }

    string KeyOf(long userId) => prefix + userId.ToString(CultureInfo.InvariantCulture);
}
