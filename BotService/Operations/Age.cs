using System.Globalization;

namespace Mesh.Bot.Operations;

/// <summary>An age given by an operator: <c>90s</c>, <c>30m</c>, <c>1h</c>, <c>2d</c>, or a TimeSpan (<c>01:30:00</c>).</summary>
public static class Age
{
    public static bool TryParse(string? text, out TimeSpan age)
    {
        age = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }
        text = text.Trim();
        var unit = text[^1];
        if (char.IsLetter(unit) && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) && amount > 0)
        {
            TimeSpan? parsed = char.ToLowerInvariant(unit) switch
            {
                's' => TimeSpan.FromSeconds(amount),
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                'd' => TimeSpan.FromDays(amount),
                _ => null,
            };
            age = parsed ?? default;
            return parsed is not null;
        }
        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out age) && age > TimeSpan.Zero;
    }
}
