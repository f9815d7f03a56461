namespace Mesh.Bot.Conversations;

/// <summary>The languages the bot speaks.</summary>
public enum BotLanguage
{
    En,
    Ru,
    Uk,
}

public static class BotLanguages
{
    public static readonly IReadOnlyList<BotLanguage> All = [BotLanguage.En, BotLanguage.Ru, BotLanguage.Uk];

    /// <summary>ISO 639-1 code, as Telegram's <c>language_code</c> and <c>setMyCommands</c> use.</summary>
    public static string Code(this BotLanguage language) => language switch
    {
        BotLanguage.Ru => "ru",
        BotLanguage.Uk => "uk",
        _ => "en",
    };

    /// <summary>The language for a Telegram <c>language_code</c> (<c>uk</c>, <c>ru-RU</c>…); English for any other.</summary>
    public static BotLanguage FromCode(string? code) => TryParse(code, out var language) ? language : BotLanguage.En;

    public static bool TryParse(string? code, out BotLanguage language)
    {
        var primary = code?.Split('-', '_')[0].ToLowerInvariant();
        (var found, language) = primary switch
        {
            "en" => (true, BotLanguage.En),
            "ru" => (true, BotLanguage.Ru),
            "uk" => (true, BotLanguage.Uk),
            _ => (false, BotLanguage.En),
        };
        return found;
    }
}
