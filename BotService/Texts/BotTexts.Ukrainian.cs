using Mesh.Bot.Conversations;

namespace Mesh.Bot.Texts;

public sealed partial record BotTexts
{
    public static readonly BotTexts Ukrainian = new()
    {
        Language = BotLanguage.Uk,
        LanguageName = "🇺🇦 Українська",
        CommandStart = "Головне меню",
        CommandProfile = "Ваш профіль",
        CommandLanguage = "Змінити мову",
        CommandCancel = "Скасувати поточну дію",
        CommandHelp = "Що вміє бот",
        Greeting = "Вітаю, {0}! 👋",
        MainMenu = "Що ви бажаєте зробити?",
        Help = "Поки що тут можна заповнити профіль і вибрати мову, якою я розмовляю. Купівля токенів, підписка та підтримка незабаром з'являться.\n\n"
            + "/start — головне меню\n/profile — ваш профіль\n/language — змінити мову\n/cancel — скасувати поточну дію\n/help — що я вмію",
        Cancelled = "Скасовано.",
        NothingToCancel = "Не було чого скасовувати.",
        UnknownCommand = "Вибачте, я не знаю такої команди. Спробуйте /help.",
        NotUnderstood = "Не розумію. Скористайтеся кнопками меню або /help.",
        StillInDialog = "Зараз триває діалог: дайте відповідь на останнє запитання або надішліть /cancel, щоб вийти з нього.",
        UseTheButtons = "Будь ласка, скористайтеся кнопками вище або /cancel.",
        ComingSoon = "Незабаром буде.",
        MenuOutdated = "Це меню застаріло; ось актуальне.",
        ButtonOutdated = "Ця кнопка застаріла.",
        SomethingWentWrong = "Щось пішло не так; спробуйте ще раз.",
        ButtonBuyTokens = "🪙 Купити токени",
        ButtonSubscription = "⭐ Підписка",
        ButtonSupport = "🆘 Підтримка",
        ButtonProfile = "👤 Профіль",
        ButtonLanguage = "🌐 Мова",
        ButtonHelp = "❓ Допомога",
        ButtonBack = "⬅️ Назад",
        ButtonOpenApp = "📱 Відкрити застосунок",
        ProfileEmpty = "<b>Ваш профіль</b>\nВи ще не заповнили його.",
        ProfileCard = "<b>Ваш профіль</b>\nІм'я: {0}\nМісто: {1}\nПро себе: {2}",
        ButtonFillProfile = "✏️ Заповнити",
        ButtonEditProfile = "✏️ Змінити",
        AskName = "Крок 1 з 4. Як вас звати?",
        AskCity = "Крок 2 з 4. У якому місті ви живете?",
        AskAbout = "Крок 3 з 4. Кілька слів про себе?",
        ConfirmProfile = "Крок 4 з 4. Усе правильно?\n\nІм'я: {0}\nМісто: {1}\nПро себе: {2}",
        ButtonSave = "✅ Зберегти",
        ButtonStartOver = "↩️ Почати знову",
        ProfileSaved = "✅ Профіль збережено.",
        TooLong = "Занадто довгий текст: не більше {0} символів, будь ласка.",
        TextExpected = "Будь ласка, дайте відповідь текстом або /cancel.",
        NameUpdated = "Оновлено: тепер ім'я — {0}.",
        CityUpdated = "Оновлено: тепер місто — {0}.",
        AboutUpdated = "Оновлено: тепер про себе — «{0}».",
        ChooseLanguage = "Оберіть мову:",
        LanguageChanged = "Мова: українська",
    };
}
