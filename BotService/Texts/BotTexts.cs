using System.Globalization;
using Mesh.Bot.Conversations;
using Mesh.Bot.Features.Profile;

namespace Mesh.Bot.Texts;

/// <summary>
/// Everything the bot says, in one language: <see cref="English"/>, <see cref="Russian"/>, <see cref="Ukrainian"/>.
/// Templates are HTML (the bot sends with HTML parse mode); values go in only through <see cref="Format"/>, which
/// escapes them, so user-supplied text can never become markup.
/// </summary>
public sealed partial record BotTexts
{
    public required BotLanguage Language { get; init; }
    public required string LanguageName { get; init; }

    // Commands, as setMyCommands shows them.
    public required string CommandStart { get; init; }
    public required string CommandProfile { get; init; }
    public required string CommandLanguage { get; init; }
    public required string CommandCancel { get; init; }
    public required string CommandHelp { get; init; }

    // Start, help and fallbacks.
    /// <summary>{0}: the user's first name.</summary>
    public required string Greeting { get; init; }
    public required string MainMenu { get; init; }
    public required string Help { get; init; }
    public required string Cancelled { get; init; }
    /// <summary>/cancel when no dialog was going on.</summary>
    public required string NothingToCancel { get; init; }
    public required string UnknownCommand { get; init; }
    /// <summary>Text (or a photo, a sticker…) outside any dialog: nothing asked for it.</summary>
    public required string NotUnderstood { get; init; }

    /// <summary>Added to /help when the user is in a dialog: it goes on.</summary>
    public required string StillInDialog { get; init; }
    public required string UseTheButtons { get; init; }
    public required string ComingSoon { get; init; }
    public required string MenuOutdated { get; init; }
    public required string ButtonOutdated { get; init; }
    /// <summary>A group member pressed a keyboard the bot drew for another member.</summary>
    public required string MenuOfSomeoneElse { get; init; }
    public required string SomethingWentWrong { get; init; }

    // Buttons.
    public required string ButtonBuyTokens { get; init; }
    public required string ButtonSubscription { get; init; }
    public required string ButtonSupport { get; init; }
    public required string ButtonProfile { get; init; }
    public required string ButtonLanguage { get; init; }
    public required string ButtonHelp { get; init; }
    public required string ButtonBack { get; init; }
    public required string ButtonOpenApp { get; init; }

    // Profile: a four-step dialog.
    public required string ProfileEmpty { get; init; }
    /// <summary>{0} name, {1} city, {2} about.</summary>
    public required string ProfileCard { get; init; }
    public required string ButtonFillProfile { get; init; }
    /// <summary>The profile asked for in a group: it is shown in the private chat only.</summary>
    public required string ProfileInPrivateChat { get; init; }
    /// <summary>The link from a group to the profile in the private chat.</summary>
    public required string ButtonOpenProfile { get; init; }
    public required string ButtonEditProfile { get; init; }
    public required string AskName { get; init; }
    public required string AskCity { get; init; }
    public required string AskAbout { get; init; }
    /// <summary>{0} name, {1} city, {2} about.</summary>
    public required string ConfirmProfile { get; init; }
    public required string ButtonSave { get; init; }
    public required string ButtonStartOver { get; init; }
    public required string ProfileSaved { get; init; }
    /// <summary>{0}: the most characters allowed.</summary>
    public required string TooLong { get; init; }
    public required string TextExpected { get; init; }
    /// <summary>An answer of the dialog edited in Telegram, taken in its place. {0}: the new answer.</summary>
    public required string NameUpdated { get; init; }
    /// <summary>{0}: the new answer.</summary>
    public required string CityUpdated { get; init; }
    /// <summary>{0}: the new answer.</summary>
    public required string AboutUpdated { get; init; }

    // Language.
    public required string ChooseLanguage { get; init; }
    public required string LanguageChanged { get; init; }

    // Operators.
    /// <summary>To a user whose profile dialog an operator reset ("clear stuck conversations").</summary>
    public required string ProfileReset { get; init; }
    /// <summary>To a user whose dialog of another kind an operator reset.</summary>
    public required string DialogReset { get; init; }
    /// <summary>How a group member whose name is not known is mentioned (<see cref="DialogResetNotice"/>).</summary>
    public required string MentionedMember { get; init; }

    public static BotTexts For(BotLanguage language) => language switch
    {
        BotLanguage.Ru => Russian,
        BotLanguage.Uk => Ukrainian,
        _ => English,
    };

    /// <summary>
    /// What a user is told when an operator reset their dialog, which was at <paramref name="step"/>, in chat
    /// <paramref name="chatId"/>. In a group (another id than the user's), addressed to them by a mention of
    /// <paramref name="userId"/>, by <paramref name="mentionName"/> or, for a dialog that did not record it, by
    /// <see cref="MentionedMember"/>: the group must see whom it is for, and the user is notified.
    /// </summary>
    public string DialogResetNotice(Step step, long chatId, long userId, string? mentionName)
    {
        var notice = step.Flow == ProfileFlow.Name.Flow ? ProfileReset : DialogReset;
        return chatId == userId
            ? notice
            : $"<a href=\"tg://user?id={userId.ToString(CultureInfo.InvariantCulture)}\">{EscapeHtml(string.IsNullOrEmpty(mentionName) ? MentionedMember : mentionName)}</a>: {notice}";
    }

    /// <summary>Fills a template's <c>{0}</c>, <c>{1}</c>… with the values HTML-escaped.</summary>
    public string Format(string template, params object?[] values) =>
        string.Format(CultureInfo.InvariantCulture, template,
            values.Select(v => (object)EscapeHtml(Convert.ToString(v, CultureInfo.InvariantCulture) ?? "")).ToArray());

    /// <summary>
    /// Escapes what Telegram's HTML needs escaped, <c>&amp;</c>, <c>&lt;</c> and <c>&gt;</c>, and nothing else: an emoji
    /// or a Cyrillic letter stays itself (WebUtility.HtmlEncode writes one as <c>&amp;#128512;</c>, nine characters where
    /// Telegram counts two, and a long text then passed the message limit and was split inside an entity).
    /// </summary>
    public static string EscapeHtml(string text) =>
        text.AsSpan().IndexOfAny('&', '<', '>') < 0 ? text : text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}
