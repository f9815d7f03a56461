namespace Mesh.Bot.Telegram;

/// <summary>Telegram's 4,096-character limit on a message's text: long texts are split at line boundaries.</summary>
public static class MessageText
{
    public const int MaxLength = 4096;

    /// <summary>
    /// Splits <paramref name="text"/> into parts of at most <paramref name="max"/> characters, each ending at a line
    /// boundary (the line break between two parts is dropped); a single line longer than the limit is cut at its last
    /// space, or hard if it has none. A text within the limit is one part.
    /// </summary>
    public static IReadOnlyList<string> Split(string text, int max = MaxLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 2);
        if (text.Length <= max)
        {
            return [text];
        }
        var parts = new List<string>();
        var rest = text.AsSpan();
        while (rest.Length > max)
        {
            var window = rest[..(max + 1)];
            var cut = window.LastIndexOf('\n');
            var skip = 1;
            if (cut <= 0)
            {
                cut = window[..max].LastIndexOf(' ');
                if (cut <= 0)
                {
                    cut = max;
                    skip = 0;
                }
            }
            parts.Add(rest[..cut].ToString());
            rest = rest[(cut + skip)..];
        }
        if (!rest.IsEmpty)
        {
            parts.Add(rest.ToString());
        }
        return parts;
    }

    /// <summary>A text for an edit, which cannot become two messages: cut to the limit.</summary>
    public static string Truncate(string text) => text.Length <= MaxLength ? text : text[..(MaxLength - 1)] + "…";
}
