using Telegram.Bot.Types.Enums;

namespace Mesh.Bot.Telegram;

/// <summary>
/// Telegram's 4,096-character limit on a message's text: long texts are split at line boundaries. Telegram counts the
/// text "after entities parsing" (core.telegram.org/bots/api#sendmessage), so an HTML text is measured without its tags,
/// an entity (<c>&amp;lt;</c>) as the one character it stands for, and is cut only between tags and entities, the tags
/// open at a cut closed at the end of one part and opened again at the start of the next.
/// </summary>
public static class MessageText
{
    public const int MaxLength = 4096;

    /// <summary><see cref="Split(string, int)"/> for a text in <paramref name="parseMode"/>: HTML as Telegram counts it.</summary>
    public static IReadOnlyList<string> Split(string text, ParseMode parseMode, int max = MaxLength) =>
        parseMode == ParseMode.Html ? SplitHtml(text, max) : Split(text, max);

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
            // A part of nothing but white space (line breaks in a row at a cut) is left out: Telegram refuses it as empty.
            if (!rest[..cut].IsWhiteSpace())
            {
                parts.Add(rest[..cut].ToString());
            }
            rest = rest[(cut + skip)..];
        }
        if (!rest.IsWhiteSpace())
        {
            parts.Add(rest.ToString());
        }
        return parts;
    }

    /// <summary>
    /// The length Telegram checks against <see cref="MaxLength"/>: an HTML text's after its markup is parsed (a tag counts
    /// nothing, an entity the one character it stands for), in UTF-16 units; any other text's own.
    /// </summary>
    public static int Length(string text, ParseMode parseMode) =>
        parseMode == ParseMode.Html && text.Contains('<') | text.Contains('&') ? Tokenize(text).Sum(t => t.Width) : text.Length;

    /// <summary>A text for an edit, which cannot become two messages: cut to the limit.</summary>
    public static string Truncate(string text) => text.Length <= MaxLength ? text : text[..(MaxLength - 1)] + "…";

    /// <summary><see cref="Truncate(string)"/> for a text in <paramref name="parseMode"/>: HTML as Telegram counts it, its open tags closed.</summary>
    public static string Truncate(string text, ParseMode parseMode)
    {
        if (parseMode != ParseMode.Html)
        {
            return Truncate(text);
        }
        // Within the limit it is edited whole; over it, cut one character shorter, for the "…".
        // Cut hard, as Truncate(string) cuts: what is after the cut is lost, so not at the text's last line break, which
        // may be its first.
        return SplitHtml(text, MaxLength).Count == 1 ? text : CloseAfter(SplitHtml(text, MaxLength - 1, atBreaks: false)[0], "…");
    }

    /// <summary>One piece of an HTML text: a tag (no width), or a character or entity of the text (its width in UTF-16 units).</summary>
    readonly record struct HtmlToken(int Start, int End, int Width, string? Tag, bool Closes);

    /// <summary>
    /// An HTML text in parts of at most <paramref name="max"/> characters as Telegram counts them, cut as
    /// <see cref="Split(string, int)"/> cuts (unless not <paramref name="atBreaks"/>: hard, before the character that does not fit).
    /// </summary>
    static IReadOnlyList<string> SplitHtml(string html, int max, bool atBreaks = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 2);
        // Parsing only shortens a text (a tag counts nothing, an entity less than it is written with), so one within the
        // limit as written is within it parsed: nearly every message, and no tokens for it (this runs for every send).
        if (html.Length <= max)
        {
            return [html];
        }
        var tokens = Tokenize(html);
        if (tokens.Sum(t => t.Width) <= max)
        {
            return [html];
        }
        var parts = new List<string>();
        var open = new List<HtmlToken>();
        var start = 0;
        while (start < tokens.Count)
        {
            var prefix = string.Concat(open.Select(t => html[t.Start..t.End]));
            var stack = new List<HtmlToken>(open);
            var width = 0;
            (int At, List<HtmlToken> Open)? newline = null, space = null;
            var end = start;
            for (; end < tokens.Count; end++)
            {
                var token = tokens[end];
                // A line break may end a full part (it is dropped), a space only one with room left, as in Split.
                if (atBreaks && token.Tag is null && width > 0 && html[token.Start] is '\n' or ' ')
                {
                    if (html[token.Start] == '\n') newline = (end, new List<HtmlToken>(stack));
                    else if (width < max) space = (end, new List<HtmlToken>(stack));
                }
                if (token.Tag is null && width + token.Width > max)
                {
                    break;
                }
                width += token.Width;
                Apply(stack, token);
            }
            // A part with nothing but tags and white space would be an empty message to Telegram (400 message text is
            // empty), and the last part carries the keyboard: such a part is left out.
            if (end == tokens.Count)
            {
                if (HasText(html, tokens, start, end)) parts.Add(prefix + html[tokens[start].Start..]);
                break;
            }
            // A break at a line, else at a space (either dropped), else hard before the character that does not fit.
            var (cut, skip, atCut) = newline is { } n ? (n.At, 1, n.Open) : space is { } s ? (s.At, 1, s.Open) : (end, 0, stack);
            if (HasText(html, tokens, start, cut))
            {
                parts.Add(prefix + html[tokens[start].Start..tokens[cut - 1].End] + Closing(atCut));
            }
            open = atCut;
            start = cut + skip;
        }
        return parts.Count > 0 ? parts : [html];
    }

    /// <summary>Whether tokens <paramref name="from"/> to <paramref name="to"/> hold a character that is not white space.</summary>
    static bool HasText(string html, List<HtmlToken> tokens, int from, int to)
    {
        for (var i = from; i < to; i++)
        {
            if (tokens[i].Tag is null && !char.IsWhiteSpace(html[tokens[i].Start]))
            {
                return true;
            }
        }
        return false;
    }

    static void Apply(List<HtmlToken> stack, HtmlToken token)
    {
        if (token.Tag is null) return;
        if (!token.Closes) stack.Add(token);
        else if (stack.Count > 0) stack.RemoveAt(stack.Count - 1);
    }

    static string Closing(List<HtmlToken> open) => string.Concat(Enumerable.Reverse(open).Select(t => $"</{t.Tag}>"));

    /// <summary>The first part of a split HTML text with <paramref name="suffix"/> put before the tags it closes.</summary>
    static string CloseAfter(string part, string suffix)
    {
        var at = part.Length;
        while (at > 0 && part[at - 1] == '>' && part.LastIndexOf("</", at - 1, StringComparison.Ordinal) is var close and >= 0
            && part.IndexOf('>', close) == at - 1)
        {
            at = close;
        }
        return part[..at] + suffix + part[at..];
    }

    /// <summary>
    /// An HTML text in tags and characters as Telegram's parser reads it: <c>&lt;…&gt;</c> is a tag; <c>&amp;lt;</c>
    /// <c>&amp;gt;</c> <c>&amp;amp;</c> <c>&amp;quot;</c> and numeric entities are the characters they stand for (an
    /// emoji two UTF-16 units, as Telegram counts); anything else one character each, never half of a surrogate pair.
    /// </summary>
    static List<HtmlToken> Tokenize(string html)
    {
        var tokens = new List<HtmlToken>();
        for (var i = 0; i < html.Length;)
        {
            if (html[i] == '<' && html.IndexOf('>', i) is var close and > 0)
            {
                var inner = html.AsSpan(i + 1, close - i - 1);
                var closes = inner.StartsWith("/");
                var name = closes ? inner[1..] : inner;
                var space = name.IndexOfAny(" \t\n");
                tokens.Add(new(i, close + 1, 0, (space < 0 ? name : name[..space]).ToString().ToLowerInvariant(), closes));
                i = close + 1;
                continue;
            }
            if (html[i] == '&' && html.IndexOf(';', i) is var semi and > 0 && semi - i <= 10 && Entity(html[(i + 1)..semi]) is { } decoded)
            {
                tokens.Add(new(i, semi + 1, decoded, null, false));
                i = semi + 1;
                continue;
            }
            var width = char.IsHighSurrogate(html[i]) && i + 1 < html.Length && char.IsLowSurrogate(html[i + 1]) ? 2 : 1;
            tokens.Add(new(i, i + width, width, null, false));
            i += width;
        }
        return tokens;
    }

    /// <summary>The width of the character an entity stands for, or null when Telegram does not decode it.</summary>
    static int? Entity(string name)
    {
        if (name is "lt" or "gt" or "amp" or "quot")
        {
            return 1;
        }
        var hex = name.StartsWith("#x", StringComparison.Ordinal);
        var digits = hex ? name[2..] : name.StartsWith('#') ? name[1..] : "";
        return digits.Length > 0 && int.TryParse(digits, hex ? System.Globalization.NumberStyles.AllowHexSpecifier : System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out var code) && code is > 0 and < 0x10FFFF
            ? code > 0xFFFF ? 2 : 1
            : null;
    }
}
