using Mesh.Bot.Conversations;

namespace Mesh.Bot.Texts;

public sealed partial record BotTexts
{
    public static readonly BotTexts English = new()
    {
        Language = BotLanguage.En,
        LanguageName = "🇬🇧 English",
        CommandStart = "Main menu",
        CommandProfile = "Your profile",
        CommandLanguage = "Change the language",
        CommandCancel = "Cancel what we are doing",
        CommandHelp = "What the bot can do",
        Greeting = "Hello, {0}! 👋",
        MainMenu = "What would you like to do?",
        Help = "For now you can fill in your profile and choose the language I speak. Buying tokens, subscriptions and support are coming soon.\n\n"
            + "/start — the main menu\n/profile — your profile\n/language — change the language\n/cancel — cancel what we are doing\n/help — what I can do",
        Cancelled = "Cancelled.",
        NothingToCancel = "There was nothing to cancel.",
        UnknownCommand = "Sorry, I don't know that command. Try /help.",
        NotUnderstood = "I didn't understand that. Use the menu buttons or /help.",
        StillInDialog = "You are in the middle of a dialog: answer its last question, or send /cancel to leave it.",
        UseTheButtons = "Please use the buttons above, or /cancel.",
        ComingSoon = "Coming soon.",
        MenuOutdated = "This menu is outdated; here is the current one.",
        ButtonOutdated = "This button is outdated.",
        SomethingWentWrong = "Something went wrong; please try again.",
        ButtonBuyTokens = "🪙 Buy tokens",
        ButtonSubscription = "⭐ Subscription",
        ButtonSupport = "🆘 Support",
        ButtonProfile = "👤 Profile",
        ButtonLanguage = "🌐 Language",
        ButtonHelp = "❓ Help",
        ButtonBack = "⬅️ Back",
        ButtonOpenApp = "📱 Open app",
        ProfileEmpty = "<b>Your profile</b>\nYou have not filled it in yet.",
        ProfileCard = "<b>Your profile</b>\nName: {0}\nCity: {1}\nAbout: {2}",
        ButtonFillProfile = "✏️ Fill in",
        ButtonEditProfile = "✏️ Edit",
        AskName = "Step 1 of 4. What is your name?",
        AskCity = "Step 2 of 4. Which city do you live in?",
        AskAbout = "Step 3 of 4. A few words about yourself?",
        ConfirmProfile = "Step 4 of 4. Is this right?\n\nName: {0}\nCity: {1}\nAbout: {2}",
        ButtonSave = "✅ Save",
        ButtonStartOver = "↩️ Start over",
        ProfileSaved = "✅ Profile saved.",
        TooLong = "That is too long: {0} characters at most, please.",
        TextExpected = "Please answer with text, or /cancel.",
        NameUpdated = "Updated: name is now {0}.",
        CityUpdated = "Updated: city is now {0}.",
        AboutUpdated = "Updated: about you is now “{0}”.",
        ChooseLanguage = "Choose your language:",
        LanguageChanged = "Language: English",
    };
}
