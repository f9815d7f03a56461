using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The Bot API puts the bot token in the URL path (<c>/bot&lt;token&gt;/sendMessage</c>), and the sandbox's control
/// API names bots by token. Telemetry records URLs, so every span's URL passes through here before it leaves the
/// process: anything shaped like a token (<c>&lt;digits&gt;:&lt;35 characters&gt;</c>, the colon possibly escaped)
/// becomes <see cref="Replacement"/>.
/// </summary>
public static partial class BotTokenRedaction
{
    public const string Replacement = "[redacted-token]";

    [GeneratedRegex("[0-9]{3,}(?::|%3[Aa])[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])")]
    private static partial Regex Token();

    public static string Redact(string value) => Token().Replace(value, Replacement);

    /// <summary>Rewrites the URL tags and the name of a span that carries a token.</summary>
    public static void RedactUrlTags(Activity activity)
    {
        foreach (var tag in (ReadOnlySpan<string>)["url.full", "url.path", "url.query", "http.url", "http.target"])
        {
            if (activity.GetTagItem(tag) is string value)
            {
                var redacted = Redact(value);
                if (redacted != value)
                {
                    activity.SetTag(tag, redacted);
                }
            }
        }
        var name = Redact(activity.DisplayName);
        if (name != activity.DisplayName)
        {
            activity.DisplayName = name;
        }
    }
}
