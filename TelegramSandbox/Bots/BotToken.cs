using System.Text.RegularExpressions;

namespace Mesh.TelegramSandbox.Bots;

/// <summary>A bot token, <c>&lt;bot id&gt;:&lt;35 characters&gt;</c>, as Telegram issues them.</summary>
public static partial class BotToken
{
    [GeneratedRegex("^([0-9]{1,19}):[A-Za-z0-9_-]{35}$")]
    private static partial Regex Pattern();

    public static bool TryParse(string? token, out long botId)
    {
        botId = 0;
        if (token is null) return false;
        var match = Pattern().Match(token);
        return match.Success && long.TryParse(match.Groups[1].Value, out botId) && botId > 0;
    }

    /// <summary>A random well-formed token for a new bot.</summary>
    public static string NewRandom()
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
        var id = Random.Shared.NextInt64(1_000_000_000, 9_999_999_999);
        var secret = string.Create(35, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++) span[i] = alphabet[Random.Shared.Next(alphabet.Length)];
        });
        return $"{id}:{secret}";
    }
}
