using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Mesh.TelegramSandbox.BotApi;

/// <summary>
/// Parses text in a parse_mode (HTML, MarkdownV2, Markdown) into plain text and entities, refusing malformed
/// markup with Telegram's "can't parse entities" errors. Offsets are in UTF-16 code units, as Telegram's.
/// </summary>
public static class FormattedText
{
    private const string ReservedV2 = "_*[]()~`>#+-=|{}.!";

    public static (string Text, JsonArray Entities) Parse(string input, string? parseMode) =>
        parseMode?.ToLowerInvariant() switch
        {
            null or "" => (input, []),
            "html" => ParseHtml(input),
            "markdownv2" => ParseMarkdownV2(input),
            "markdown" => ParseMarkdown(input),
            _ => throw BotApiException.BadRequest("unsupported parse_mode"),
        };

    /// <summary>
    /// What Telegram makes of a text and its entities before it checks the length and stores them (tdlib's
    /// fix_formatted_text, which the Bot API runs on every text): '\r' and the characters U+2028–U+202E, U+030A, U+0333
    /// and U+033F are removed, other control characters become spaces; trailing white space is cut (entities with it,
    /// those in it dropped), leading spaces and line breaks before the first entity too. An entity of white space inside
    /// the text is kept (tdlib since December 2023: "Don't remove whitespace-only entities").
    /// Offsets and the text's length stay in UTF-16 code units, as MessageEntity's offset and length are
    /// ("Offset in UTF-16 code units to the start of the entity", core.telegram.org/bots/api#messageentity). The text is
    /// empty when nothing but white space was given.
    /// </summary>
    public static (string Text, JsonArray Entities) Fix(string input, JsonArray entities)
    {
        var at = new int[input.Length + 1];
        var text = new StringBuilder(input.Length);
        for (var i = 0; i < input.Length; i++)
        {
            at[i] = text.Length;
            var c = input[i];
            if (c is '\r' or (>= '\u2028' and <= '\u202E') or '\u030A' or '\u0333' or '\u033F') continue;
            text.Append(c < ' ' && c != '\n' ? ' ' : c);
        }
        at[input.Length] = text.Length;

        static bool IsBlank(char c) => c <= ' ';
        var end = text.Length;
        while (end > 0 && IsBlank(text[end - 1])) end--;
        var kept = new List<(JsonObject Entity, int Start, int End)>();
        foreach (var node in entities)
        {
            // An entity given without an Integer offset and length marks nothing (one of another type is refused as
            // "wrong parameter type" by the endpoint, from GetValue).
            if (node is not JsonObject entity || entity["offset"] is not JsonValue offset || entity["length"] is not JsonValue length) continue;
            var from = Math.Clamp(offset.GetValue<int>(), 0, input.Length);
            var to = Math.Clamp(from + Math.Max(length.GetValue<int>(), 0), from, input.Length);
            var (start, stop) = (at[from], Math.Min(at[to], end));
            if (stop > start) kept.Add(((JsonObject)entity.DeepClone(), start, stop));
        }

        var first = kept.Count == 0 ? end : kept.Min(e => e.Start);
        var skip = 0;
        while (skip < first && text[skip] is ' ' or '\n') skip++;
        var fixedEntities = new JsonArray();
        foreach (var (entity, start, stop) in kept.OrderBy(e => e.Start).ThenByDescending(e => e.End - e.Start))
        {
            entity["offset"] = start - skip;
            entity["length"] = stop - start;
            fixedEntities.Add(entity);
        }
        return (text.ToString(skip, end - skip), fixedEntities);
    }

    /// <summary>
    /// Whether Telegram takes a fixed text as empty (tdlib's is_empty_string, "Text must be non-empty", which the Bot API
    /// answers as "message text is empty"): nothing but spaces, line breaks and the characters tdlib strips as blank —
    /// the no-break, ideographic, typographic and zero-width spaces, the byte order mark, the braille blank, the object
    /// replacement character and the tag characters U+E0000–U+E007F.
    /// </summary>
    public static bool IsEmpty(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] is ' ' or '\n' or '\u00A0' or '\u1680' or '\u180E' or (>= '\u2000' and <= '\u200F') or '\u202E' or '\u202F'
                or '\u205F' or '\u2800' or '\u3000' or '\uFEFF' or '\uFFFC') continue;
            if (text[i] == '\uDB40' && i + 1 < text.Length && text[i + 1] is >= '\uDC00' and <= '\uDC7F')
            {
                i++;
                continue;
            }
            return false;
        }
        return true;
    }

    private static BotApiException Error(string what) => BotApiException.BadRequest("can't parse entities: " + what);

    private static int ByteOffset(string input, int index) => Encoding.UTF8.GetByteCount(input.AsSpan(0, Math.Min(index, input.Length)));

    private static JsonObject Entity(string type, int offset, int length, string? key = null, string? value = null)
    {
        var json = new JsonObject { ["type"] = type, ["offset"] = offset, ["length"] = length };
        if (key is not null) json[key] = value;
        return json;
    }

    private static JsonArray Sorted(List<JsonObject> entities) =>
        [.. entities.OrderBy(e => (int)e["offset"]!).ThenByDescending(e => (int)e["length"]!)];

    private sealed record OpenTag(string Name, int Offset, string? Attribute);

    /// <summary>
    /// The tags of core.telegram.org/bots/api#html-style ("Only the tags mentioned above are currently supported"), but
    /// tg-time, which the sandbox does not support yet.
    /// </summary>
    private static readonly HashSet<string> HtmlTags =
    [
        "a", "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "tg-emoji", "code", "pre", "blockquote",
    ];

    /// <summary>White space between a tag's parts, as Telegram's parser (tdlib's parse_html) takes it; '\0' is the end of the text.</summary>
    private static bool IsSpace(char c) => c is ' ' or '\t' or '\r' or '\n' or '\v' or '\0';

    /// <summary>
    /// HTML as Telegram parses it: a port of tdlib's parse_html, which the Bot API runs, with its error messages and
    /// their byte offsets. What the docs say (core.telegram.org/bots/api#html-style): only the supported tags; every
    /// '&lt;', '&gt;' and '&amp;' not part of a tag or an entity must be escaped; all numerical HTML entities and the
    /// named &amp;lt; &amp;gt; &amp;amp; &amp;quot; are supported, each one character of the text. Unknown attributes are
    /// ignored; an unknown named entity (&amp;nbsp;) stays as it is, as text.
    /// </summary>
    private static (string, JsonArray) ParseHtml(string input)
    {
        char At(int i) => i < input.Length ? input[i] : '\0';
        var text = new StringBuilder(input.Length);
        var stack = new Stack<OpenTag>();
        var entities = new List<JsonObject>();
        var i = 0;
        while (i < input.Length)
        {
            var c = input[i];
            if (c == '&' && DecodeEntity(input, ref i) is { } decoded)
            {
                text.Append(decoded);
                continue;
            }
            if (c != '<')
            {
                text.Append(c);
                i++;
                continue;
            }
            var begin = i++;
            var at = ByteOffset(input, begin);
            if (At(i) != '/')
            {
                while (!IsSpace(At(i)) && At(i) != '>') i++;
                if (At(i) == '\0') throw Error($"Unclosed start tag at byte offset {at}");
                var name = input[(begin + 1)..i].ToLowerInvariant();
                if (!HtmlTags.Contains(name)) throw Error($"Unsupported start tag \"{name}\" at byte offset {at}");
                string? argument = null;
                while (At(i) != '>')
                {
                    while (At(i) != '\0' && IsSpace(At(i))) i++;
                    if (At(i) == '>') break;
                    var attributeBegin = i;
                    while (!IsSpace(At(i)) && At(i) is not ('=' or '>' or '/' or '"' or '\'')) i++;
                    var attribute = input[attributeBegin..i];
                    if (attribute.Length == 0) throw Error($"Empty attribute name in the tag \"{name}\" at byte offset {at}");
                    while (At(i) != '\0' && IsSpace(At(i))) i++;
                    if (At(i) != '=')
                    {
                        // An attribute without a value is ignored (tdlib since Bot API 7.4), but blockquote's expandable.
                        if (At(i) == '\0') throw Error($"Unclosed start tag \"{name}\" at byte offset {at}");
                        if (name == "blockquote" && attribute == "expandable") argument = attribute;
                        continue;
                    }
                    i++;
                    while (At(i) != '\0' && IsSpace(At(i))) i++;
                    if (At(i) == '\0') throw Error($"Unclosed start tag \"{name}\" at byte offset {at}");
                    string value;
                    if (At(i) is not ('\'' or '"'))
                    {
                        // A name token: letters, digits, periods and hyphens, not case-sensitive.
                        var token = i;
                        while (char.IsAsciiLetterOrDigit(At(i)) || At(i) is '.' or '-') i++;
                        value = input[token..i].ToLowerInvariant();
                        if (!IsSpace(At(i)) && At(i) != '>') throw Error($"Unexpected end of name token at byte offset {ByteOffset(input, token)}");
                    }
                    else
                    {
                        var quote = input[i++];
                        var literal = new StringBuilder();
                        while (At(i) != quote && At(i) != '\0')
                        {
                            if (At(i) == '&' && DecodeEntity(input, ref i) is { } character)
                            {
                                literal.Append(character);
                                continue;
                            }
                            literal.Append(input[i++]);
                        }
                        if (At(i) == quote) i++;
                        value = literal.ToString();
                    }
                    if (At(i) == '\0') throw Error($"Unclosed start tag at byte offset {at}");
                    argument = (name, attribute) switch
                    {
                        ("a", "href") or ("tg-emoji", "emoji-id") => value,
                        ("code", "class") when value.StartsWith("language-", StringComparison.Ordinal) => value["language-".Length..],
                        ("span", "class") when value.StartsWith("tg-", StringComparison.Ordinal) => value["tg-".Length..],
                        ("blockquote", "expandable") => attribute,
                        _ => argument,
                    };
                }
                if (name == "span" && argument != "spoiler") throw Error($"Tag \"span\" must have class \"tg-spoiler\" at byte offset {at}");
                stack.Push(new OpenTag(name, text.Length, argument));
            }
            else
            {
                if (stack.Count == 0) throw Error($"Unexpected end tag at byte offset {at}");
                while (!IsSpace(At(i)) && At(i) != '>') i++;
                var name = input[(begin + 2)..i].ToLowerInvariant();
                while (At(i) != '\0' && IsSpace(At(i))) i++;
                if (At(i) != '>') throw Error($"Unclosed end tag at byte offset {at}");
                var open = stack.Pop();
                if (name.Length > 0 && name != open.Name)
                    throw Error($"Unmatched end tag at byte offset {at}, expected \"</{open.Name}>\", found \"</{name}>\"");
                if (!MergedIntoPre(open, text.Length, entities) && ToEntity(open, text, stack) is { } entity) entities.Add(entity);
            }
            i++; // past '>'
        }
        if (stack.Count > 0) throw Error($"Can't find end tag corresponding to start tag \"{stack.Peek().Name}\"");
        return (text.ToString(), Sorted(entities));
    }

    /// <summary>
    /// tdlib's parse_html: <c>&lt;pre&gt;</c> and <c>&lt;code class="language-…"&gt;</c> around the same text, either
    /// inside the other, are one pre entity with that language. True when <paramref name="tag"/>, closing at
    /// <paramref name="end"/>, was merged into the entity its inner tag made.
    /// </summary>
    private static bool MergedIntoPre(OpenTag tag, int end, List<JsonObject> entities)
    {
        if (tag.Name is not ("pre" or "code") || entities.Count == 0) return false;
        var inner = entities[^1];
        if ((int)inner["offset"]! != tag.Offset || (int)inner["length"]! != end - tag.Offset) return false;
        switch (tag.Name, (string?)inner["type"])
        {
            case ("pre", "pre") when inner["language"] is not null: // the inner code made the pre already
                return true;
            case ("code", "pre") when tag.Attribute is not null:
                inner["language"] = tag.Attribute;
                return true;
            default:
                return false;
        }
    }

    private static JsonObject? ToEntity(OpenTag tag, StringBuilder text, Stack<OpenTag> outer)
    {
        var length = text.Length - tag.Offset;
        if (length <= 0) return null;
        return tag.Name switch
        {
            "b" or "strong" => Entity("bold", tag.Offset, length),
            "i" or "em" => Entity("italic", tag.Offset, length),
            "u" or "ins" => Entity("underline", tag.Offset, length),
            "s" or "strike" or "del" => Entity("strikethrough", tag.Offset, length),
            "span" or "tg-spoiler" => Entity("spoiler", tag.Offset, length),
            // <a> without href links its own text; a link that is not a URL is no entity (the text stays).
            "a" => Link(tag.Attribute is { Length: > 0 } href ? href : text.ToString(tag.Offset, length)) is { } url
                ? Entity("text_link", tag.Offset, length, "url", url)
                : null,
            "code" when outer.Count > 0 && outer.Peek().Name == "pre" => tag.Attribute is null ? null : Entity("pre", tag.Offset, length, "language", tag.Attribute),
            "code" => Entity("code", tag.Offset, length),
            "pre" => Entity("pre", tag.Offset, length),
            "blockquote" => Entity(tag.Attribute is null ? "blockquote" : "expandable_blockquote", tag.Offset, length),
            "tg-emoji" => Entity("custom_emoji", tag.Offset, length, "custom_emoji_id", tag.Attribute),
            _ => null,
        };
    }

    /// <summary>
    /// A link's URL as Telegram keeps it (tdlib's get_checked_link and parse_url): tg:, ton: and tonsite: links as given;
    /// otherwise an http or https URL (a bare domain is http), its host in lower case, "/" for an empty path, characters up
    /// to the space in the path percent-encoded. Null when it is none, and the text stays without a link: another scheme
    /// (ftp://), a host without a dot or with a character a host cannot have, a wrong port.
    /// </summary>
    private static string? Link(string url)
    {
        if (url.StartsWith("tg:", StringComparison.OrdinalIgnoreCase) || url.StartsWith("ton:", StringComparison.OrdinalIgnoreCase)
            || url.StartsWith("tonsite:", StringComparison.OrdinalIgnoreCase))
        {
            return Uri.TryCreate(url, UriKind.Absolute, out _) ? url : null;
        }
        var rest = url.AsSpan();
        var scheme = "http";
        var protocolEnd = rest.IndexOfAny(":/?#@[]");
        if (protocolEnd >= 0 && rest[protocolEnd..].StartsWith("://"))
        {
            scheme = rest[..protocolEnd].ToString().ToLowerInvariant();
            if (scheme is not ("http" or "https")) return null;
            rest = rest[(protocolEnd + 3)..];
        }
        var authorityEnd = rest.IndexOfAny("/?#");
        var authority = authorityEnd < 0 ? rest : rest[..authorityEnd];
        var path = authorityEnd < 0 ? [] : rest[authorityEnd..];
        var port = "";
        var colon = authority.LastIndexOfAny(":]@");
        if (colon > 0 && authority[colon] == ':')
        {
            if (!int.TryParse(authority[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is 0 or > 65535) return null;
            port = ":" + number.ToString(CultureInfo.InvariantCulture);
            authority = authority[..colon];
        }
        var at = authority.LastIndexOf('@');
        var userinfo = at < 0 ? "" : authority[..at].ToString();
        var host = string.Concat(authority[(at + 1)..].ToString().Select(c => char.IsAsciiLetterUpper(c) ? char.ToLowerInvariant(c) : c));
        if (host is "" or "." || !host.Contains('.') || !IsUrlPart(host, allowColon: false) || !IsUrlPart(userinfo, allowColon: true)) return null;

        path = path.TrimEnd(" \t\r\n\v\0");
        var link = new StringBuilder(scheme).Append("://");
        if (userinfo.Length > 0) link.Append(userinfo).Append('@');
        link.Append(host).Append(port);
        if (path.IsEmpty || path[0] != '/') link.Append('/');
        foreach (var c in path)
        {
            if (c <= ' ') link.Append('%').Append(((int)c).ToString("X2", CultureInfo.InvariantCulture));
            else link.Append(c);
        }
        return link.ToString();
    }

    /// <summary>A URL's host or user info as tdlib's parse_url allows it: RFC 3986's unreserved and sub-delimiting characters, %XX, any non-ASCII.</summary>
    private static bool IsUrlPart(string part, bool allowColon)
    {
        for (var i = 0; i < part.Length; i++)
        {
            var c = part[i];
            if (char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '!' or '$' or ',' or '~' or '*' or '\'' or '(' or ')' or ';' or '&' or '+' or '='
                || (allowColon && c == ':') || c >= 128) continue;
            if (c == '%' && i + 2 < part.Length && char.IsAsciiHexDigit(part[i + 1]) && char.IsAsciiHexDigit(part[i + 2]))
            {
                i += 2;
                continue;
            }
            return false;
        }
        return true;
    }

    /// <summary>
    /// The character of the HTML entity at <paramref name="i"/> and <paramref name="i"/> moved past it (its ';' is
    /// optional, as Telegram takes it), or null when it is none: an unknown name or an out-of-range number stays text.
    /// </summary>
    private static string? DecodeEntity(string input, ref int i)
    {
        char At(int k) => k < input.Length ? input[k] : '\0';
        var end = i + 1;
        var code = 0;
        if (At(end) == '#')
        {
            end++;
            var hex = At(end) == 'x';
            if (hex) end++;
            while (hex ? char.IsAsciiHexDigit(At(end)) : char.IsAsciiDigit(At(end)))
            {
                code = Math.Min(code * (hex ? 16 : 10) + Convert.ToInt32(At(end).ToString(), 16), 0x110000);
                end++;
            }
            if (code is 0 or >= 0x10FFFF || end - i >= 10) return null;
        }
        else
        {
            while (char.IsAsciiLetter(At(end))) end++;
            code = input[(i + 1)..end] switch
            {
                "lt" => '<',
                "gt" => '>',
                "amp" => '&',
                "quot" => '"',
                _ => 0,
            };
            if (code == 0) return null;
        }
        if (code is >= 0xD800 and <= 0xDFFF)
            throw Error("Text contains invalid Unicode characters after decoding HTML entities, check for unmatched surrogate code units");
        i = At(end) == ';' ? end + 1 : end;
        return char.ConvertFromUtf32(code);
    }

    private sealed record OpenMark(string Type, int Offset, int ByteAt);

    private static (string, JsonArray) ParseMarkdownV2(string input)
    {
        var text = new StringBuilder(input.Length);
        var open = new List<OpenMark>();
        var entities = new List<JsonObject>();

        void Toggle(string type, int i)
        {
            var index = open.FindLastIndex(o => o.Type == type);
            if (index < 0)
            {
                open.Add(new OpenMark(type, text.Length, ByteOffset(input, i)));
                return;
            }
            var mark = open[index];
            open.RemoveAt(index);
            if (text.Length > mark.Offset) entities.Add(Entity(type, mark.Offset, text.Length - mark.Offset));
        }

        for (var i = 0; i < input.Length; i++)
        {
            var c = input[i];
            var atLineStart = i == 0 || input[i - 1] == '\n';
            switch (c)
            {
                case '\\':
                    if (i + 1 < input.Length) text.Append(input[++i]);
                    else throw Error($"Character '\\' is reserved and must be escaped with the preceding '\\'");
                    break;
                case '*':
                    Toggle("bold", i);
                    break;
                case '_' when i + 1 < input.Length && input[i + 1] == '_':
                    Toggle("underline", i);
                    i++;
                    break;
                case '_':
                    Toggle("italic", i);
                    break;
                case '~':
                    Toggle("strikethrough", i);
                    break;
                case '|' when i + 1 < input.Length && input[i + 1] == '|':
                    Toggle("spoiler", i);
                    i++;
                    break;
                case '`':
                    i = ReadCode(input, i, text, entities, markdownV2: true);
                    break;
                case '[':
                    open.Add(new OpenMark("text_link", text.Length, ByteOffset(input, i)));
                    break;
                case ']':
                {
                    var index = open.FindLastIndex(o => o.Type == "text_link");
                    if (index < 0) throw Error($"Character ']' is reserved and must be escaped with the preceding '\\'");
                    var mark = open[index];
                    open.RemoveAt(index);
                    if (i + 1 >= input.Length || input[i + 1] != '(')
                        throw Error($"Character '[' is reserved and must be escaped with the preceding '\\'");
                    var end = input.IndexOf(')', i + 2);
                    if (end < 0) throw Error($"Can't find end of a URL at byte offset {ByteOffset(input, i + 1)}");
                    var url = input[(i + 2)..end].Replace("\\)", ")", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
                    if (text.Length > mark.Offset) entities.Add(Entity("text_link", mark.Offset, text.Length - mark.Offset, "url", url));
                    i = end;
                    break;
                }
                case '>' when atLineStart:
                {
                    var end = input.IndexOf('\n', i);
                    var start = text.Length;
                    var line = ParseMarkdownV2(input[(i + 1)..(end < 0 ? input.Length : end)]);
                    text.Append(line.Item1);
                    foreach (var e in line.Item2)
                    {
                        var copy = (JsonObject)e!.DeepClone();
                        copy["offset"] = (int)copy["offset"]! + start;
                        entities.Add(copy);
                    }
                    if (text.Length > start) entities.Add(Entity("blockquote", start, text.Length - start));
                    i = (end < 0 ? input.Length : end) - 1;
                    break;
                }
                default:
                    if (ReservedV2.Contains(c)) throw Error($"Character '{c}' is reserved and must be escaped with the preceding '\\'");
                    text.Append(c);
                    break;
            }
        }
        if (open.Count > 0)
        {
            var mark = open[^1];
            var name = mark.Type switch
            {
                "bold" => "Bold",
                "italic" => "Italic",
                "underline" => "Underline",
                "strikethrough" => "Strikethrough",
                "spoiler" => "Spoiler",
                _ => "TextUrl",
            };
            throw Error($"Can't find end of {name} entity at byte offset {mark.ByteAt}");
        }
        return (text.ToString(), Sorted(entities));
    }

    /// <summary>Reads <c>`code`</c> or <c>```pre```</c> starting at <paramref name="i"/>; returns the index of the closing backtick.</summary>
    private static int ReadCode(string input, int i, StringBuilder text, List<JsonObject> entities, bool markdownV2)
    {
        var start = text.Length;
        var isPre = string.CompareOrdinal(input, i, "```", 0, 3) == 0;
        var from = i + (isPre ? 3 : 1);
        string? language = null;
        if (isPre)
        {
            var newline = input.IndexOf('\n', from);
            var fence = input.IndexOf("```", from, StringComparison.Ordinal);
            if (newline >= 0 && (fence < 0 || newline < fence))
            {
                var first = input[from..newline];
                if (first.Length > 0 && !first.Contains(' ')) language = first;
                from = newline + 1;
            }
        }
        var marker = isPre ? "```" : "`";
        for (var j = from; j < input.Length; j++)
        {
            if (markdownV2 && input[j] == '\\' && j + 1 < input.Length)
            {
                text.Append(input[++j]);
                continue;
            }
            if (string.CompareOrdinal(input, j, marker, 0, marker.Length) == 0)
            {
                if (text.Length > start)
                {
                    entities.Add(isPre
                        ? Entity("pre", start, text.Length - start, language is null ? null : "language", language)
                        : Entity("code", start, text.Length - start));
                }
                return j + marker.Length - 1;
            }
            text.Append(input[j]);
        }
        throw markdownV2
            ? Error($"Can't find end of {(isPre ? "Pre" : "Code")} entity at byte offset {ByteOffset(input, i)}")
            : Error($"Can't find end of the entity starting at byte offset {ByteOffset(input, i)}");
    }

    private static (string, JsonArray) ParseMarkdown(string input)
    {
        var text = new StringBuilder(input.Length);
        var entities = new List<JsonObject>();
        for (var i = 0; i < input.Length; i++)
        {
            var c = input[i];
            switch (c)
            {
                case '\\' when i + 1 < input.Length && "_*`[".Contains(input[i + 1]):
                    text.Append(input[++i]);
                    break;
                case '*' or '_':
                {
                    var end = input.IndexOf(c, i + 1);
                    if (end < 0) throw Error($"Can't find end of the entity starting at byte offset {ByteOffset(input, i)}");
                    var start = text.Length;
                    text.Append(input, i + 1, end - i - 1);
                    if (text.Length > start) entities.Add(Entity(c == '*' ? "bold" : "italic", start, text.Length - start));
                    i = end;
                    break;
                }
                case '`':
                    i = ReadCode(input, i, text, entities, markdownV2: false);
                    break;
                case '[':
                {
                    var close = input.IndexOf(']', i + 1);
                    if (close < 0 || close + 1 >= input.Length || input[close + 1] != '(')
                        throw Error($"Can't find end of the entity starting at byte offset {ByteOffset(input, i)}");
                    var end = input.IndexOf(')', close + 2);
                    if (end < 0) throw Error($"Can't find end of the entity starting at byte offset {ByteOffset(input, i)}");
                    var start = text.Length;
                    text.Append(input, i + 1, close - i - 1);
                    if (text.Length > start) entities.Add(Entity("text_link", start, text.Length - start, "url", input[(close + 2)..end]));
                    i = end;
                    break;
                }
                default:
                    text.Append(c);
                    break;
            }
        }
        return (text.ToString(), Sorted(entities));
    }
}
