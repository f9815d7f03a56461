using System.Globalization;

namespace Mesh.Bot.Operations;

/// <summary>
/// An age given by an operator: <c>90s</c>, <c>30m</c>, <c>1h</c>, <c>2d</c>, or a TimeSpan (<c>01:30:00</c>); more
/// than nothing and at most <see cref="Max"/>.
/// </summary>
public static class Age
{
    /// <summary>The longest age taken: older than this nothing in Redis can be (and the clock's arithmetic stays in range).</summary>
    public static readonly TimeSpan Max = TimeSpan.FromDays(3650);

    /// <summary><see cref="Max"/> in words, for the messages that refuse an age.</summary>
    public const string MaxInWords = "10 years";

    public static bool IsInRange(TimeSpan age) => IsInRange(age.TotalSeconds);

    static bool IsInRange(double seconds) => seconds > 0 && seconds <= Max.TotalSeconds;

    public static bool TryParse(string? text, out TimeSpan age)
    {
        age = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }
        text = text.Trim();
        var unit = text[^1];
        if (char.IsLetter(unit) && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount))
        {
            double? seconds = char.ToLowerInvariant(unit) switch
            {
                's' => amount,
                'm' => amount * 60,
                'h' => amount * 3600,
                'd' => amount * 86400,
                _ => null,
            };
            // Compared before it becomes a TimeSpan, which throws past about 29,000 years ("1e400s" reads as infinity).
            if (seconds is not { } s || !IsInRange(s))
            {
                return false;
            }
            age = TimeSpan.FromSeconds(s);
            return true;
        }
        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out age) && IsInRange(age);
    }
}
