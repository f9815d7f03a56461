using Mesh.Bot.Conversations;

namespace Mesh.Bot.Texts;

public sealed partial record BotTexts
{
    public static readonly BotTexts Russian = new()
    {
        Language = BotLanguage.Ru,
        LanguageName = "🇷🇺 Русский",
        CommandStart = "Главное меню",
        CommandProfile = "Ваш профиль",
        CommandLanguage = "Сменить язык",
        CommandCancel = "Отменить текущее действие",
        CommandHelp = "Что умеет бот",
        Greeting = "Здравствуйте, {0}! 👋",
        MainMenu = "Что вы хотите сделать?",
        Help = "Пока здесь можно заполнить профиль и выбрать язык, на котором я говорю. Покупка токенов, подписка и поддержка скоро появятся.\n\n"
            + "/start — главное меню\n/profile — ваш профиль\n/language — сменить язык\n/cancel — отменить текущее действие\n/help — что я умею",
        Cancelled = "Отменено.",
        NothingToCancel = "Отменять было нечего.",
        UnknownCommand = "Извините, я не знаю такой команды. Попробуйте /help.",
        NotUnderstood = "Не понимаю. Воспользуйтесь кнопками меню или /help.",
        StillInDialog = "Сейчас идёт диалог: ответьте на последний вопрос или отправьте /cancel, чтобы выйти из него.",
        UseTheButtons = "Пожалуйста, воспользуйтесь кнопками выше или /cancel.",
        ComingSoon = "Скоро будет.",
        MenuOutdated = "Это меню устарело; вот актуальное.",
        ButtonOutdated = "Эта кнопка устарела.",
        SomethingWentWrong = "Что-то пошло не так; попробуйте ещё раз.",
        ButtonBuyTokens = "🪙 Купить токены",
        ButtonSubscription = "⭐ Подписка",
        ButtonSupport = "🆘 Поддержка",
        ButtonProfile = "👤 Профиль",
        ButtonLanguage = "🌐 Язык",
        ButtonHelp = "❓ Помощь",
        ButtonBack = "⬅️ Назад",
        ButtonOpenApp = "📱 Открыть приложение",
        ProfileEmpty = "<b>Ваш профиль</b>\nВы ещё не заполнили его.",
        ProfileCard = "<b>Ваш профиль</b>\nИмя: {0}\nГород: {1}\nО себе: {2}",
        ButtonFillProfile = "✏️ Заполнить",
        ButtonEditProfile = "✏️ Изменить",
        AskName = "Шаг 1 из 4. Как вас зовут?",
        AskCity = "Шаг 2 из 4. В каком городе вы живёте?",
        AskAbout = "Шаг 3 из 4. Несколько слов о себе?",
        ConfirmProfile = "Шаг 4 из 4. Всё верно?\n\nИмя: {0}\nГород: {1}\nО себе: {2}",
        ButtonSave = "✅ Сохранить",
        ButtonStartOver = "↩️ Начать заново",
        ProfileSaved = "✅ Профиль сохранён.",
        TooLong = "Слишком длинный текст: не больше {0} символов, пожалуйста.",
        TextExpected = "Пожалуйста, ответьте текстом или /cancel.",
        NameUpdated = "Обновлено: теперь имя — {0}.",
        CityUpdated = "Обновлено: теперь город — {0}.",
        AboutUpdated = "Обновлено: теперь о себе — «{0}».",
        ChooseLanguage = "Выберите язык:",
        LanguageChanged = "Язык: русский",
    };
}
