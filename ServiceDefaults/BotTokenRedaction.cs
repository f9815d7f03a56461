using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The Bot API puts the bot token in the URL path (<c>/bot&lt;token&gt;/sendMessage</c>). Telemetry records URLs,
/// so every span's URL passes through here before it leaves the process.
/// </summary>
public static partial class BotTokenRedaction
{
    public const string Replacement = "/bot[redacted]/";

    [GeneratedRegex(@"/bot[0-9]+:[A-Za-z0-9_-]+/")]
    private static partial Regex Token();

    public static string Redact(string value) =>
        value.Contains("/bot", StringComparison.Ordinal) ? Token().Replace(value, Replacement) : value;

    /// <summary>Rewrites the URL tags of a span that carries a token.</summary>
    public static void RedactUrlTags(Activity activity)
    {
        foreach (var tag in (ReadOnlySpan<string>)["url.full", "url.path", "http.url", "http.target"])
        {
            if (activity.GetTagItem(tag) is string value && value.Contains("/bot", StringComparison.Ordinal))
            {
                activity.SetTag(tag, Redact(value));
            }
        }
        if (activity.DisplayName.Contains("/bot", StringComparison.Ordinal))
        {
            activity.DisplayName = Redact(activity.DisplayName);
        }
    }
}
