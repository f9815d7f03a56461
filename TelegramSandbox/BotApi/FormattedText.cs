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

    private static (string, JsonArray) ParseHtml(string input)
    {
        var text = new StringBuilder(input.Length);
        var stack = new Stack<OpenTag>();
        var entities = new List<JsonObject>();
        for (var i = 0; i < input.Length; i++)
        {
            var c = input[i];
            if (c == '&')
            {
                var end = input.IndexOf(';', i);
                if (end > i && end - i <= 10 && Decode(input[(i + 1)..end]) is { } decoded)
                {
                    text.Append(decoded);
                    i = end;
                    continue;
                }
                text.Append(c);
                continue;
            }
            if (c != '<')
            {
                text.Append(c);
                continue;
            }
            var close = input.IndexOf('>', i);
            var at = ByteOffset(input, i);
            if (close < 0) throw Error($"Unclosed start tag at byte offset {at}");
            var tag = input[(i + 1)..close];
            if (tag.StartsWith('/'))
            {
                var name = tag[1..].Trim().ToLowerInvariant();
                if (stack.Count == 0) throw Error($"Unexpected end tag at byte offset {at}");
                var open = stack.Pop();
                if (name.Length > 0 && name != open.Name)
                    throw Error($"Unmatched end tag at byte offset {at}, expected \"</{open.Name}>\", found \"</{name}>\"");
                if (ToEntity(open, text.Length, stack) is { } entity) entities.Add(entity);
            }
            else
            {
                var space = tag.IndexOfAny([' ', '\t', '\n']);
                var name = (space < 0 ? tag : tag[..space]).ToLowerInvariant();
                var attributes = space < 0 ? "" : tag[(space + 1)..];
                if (!IsSupported(name, attributes)) throw Error($"Unsupported start tag \"{name}\" at byte offset {at}");
                stack.Push(new OpenTag(name, text.Length, Attribute(name, attributes)));
            }
            i = close;
        }
        if (stack.Count > 0) throw Error($"Can't find end tag corresponding to start tag \"{stack.Peek().Name}\"");
        return (text.ToString(), Sorted(entities));
    }

    private static bool IsSupported(string name, string attributes) => name switch
    {
        "b" or "strong" or "i" or "em" or "u" or "ins" or "s" or "strike" or "del" or "code" or "pre" or "tg-spoiler" or "blockquote" or "tg-emoji" => true,
        "a" => attributes.Contains("href=", StringComparison.OrdinalIgnoreCase),
        "span" => attributes.Contains("tg-spoiler", StringComparison.Ordinal),
        _ => false,
    };

    private static string? Attribute(string name, string attributes)
    {
        string? Value(string key)
        {
            var at = attributes.IndexOf(key + "=", StringComparison.OrdinalIgnoreCase);
            if (at < 0) return null;
            var rest = attributes[(at + key.Length + 1)..].Trim();
            if (rest.Length > 0 && rest[0] is '"' or '\'')
            {
                var end = rest.IndexOf(rest[0], 1);
                return end < 0 ? rest[1..] : rest[1..end];
            }
            var stop = rest.IndexOfAny([' ', '\t']);
            return stop < 0 ? rest : rest[..stop];
        }
        return name switch
        {
            "a" => System.Net.WebUtility.HtmlDecode(Value("href")),
            "code" => Value("class") is { } cls && cls.StartsWith("language-", StringComparison.Ordinal) ? cls["language-".Length..] : null,
            "blockquote" => attributes.Contains("expandable", StringComparison.Ordinal) ? "expandable" : null,
            "tg-emoji" => Value("emoji-id"),
            _ => null,
        };
    }

    private static JsonObject? ToEntity(OpenTag tag, int end, Stack<OpenTag> outer)
    {
        var length = end - tag.Offset;
        if (length <= 0) return null;
        return tag.Name switch
        {
            "b" or "strong" => Entity("bold", tag.Offset, length),
            "i" or "em" => Entity("italic", tag.Offset, length),
            "u" or "ins" => Entity("underline", tag.Offset, length),
            "s" or "strike" or "del" => Entity("strikethrough", tag.Offset, length),
            "span" or "tg-spoiler" => Entity("spoiler", tag.Offset, length),
            "a" => Entity("text_link", tag.Offset, length, "url", tag.Attribute),
            "code" when outer.Count > 0 && outer.Peek().Name == "pre" => tag.Attribute is null ? null : Entity("pre", tag.Offset, length, "language", tag.Attribute),
            "code" => Entity("code", tag.Offset, length),
            "pre" => Entity("pre", tag.Offset, length),
            "blockquote" => Entity(tag.Attribute is null ? "blockquote" : "expandable_blockquote", tag.Offset, length),
            "tg-emoji" => Entity("custom_emoji", tag.Offset, length, "custom_emoji_id", tag.Attribute),
            _ => null,
        };
    }

    private static string? Decode(string name) => name switch
    {
        "lt" => "<",
        "gt" => ">",
        "amp" => "&",
        "quot" => "\"",
        _ when name.StartsWith("#x", StringComparison.OrdinalIgnoreCase) && int.TryParse(name[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var hex) && hex is > 0 and <= 0x10FFFF => char.ConvertFromUtf32(hex),
        _ when name.StartsWith('#') && int.TryParse(name[1..], NumberStyles.None, CultureInfo.InvariantCulture, out var dec) && dec is > 0 and <= 0x10FFFF => char.ConvertFromUtf32(dec),
        _ => null,
    };

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
