using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Mesh.TelegramSandbox.BotApi;

/// <summary>
/// A Bot API call's parameters, merged from the query string and a JSON, form-urlencoded or multipart body,
/// as Telegram accepts them. Form values that are objects arrive as JSON text and are parsed on access.
/// </summary>
public sealed class ApiArgs
{
    private readonly Dictionary<string, JsonNode?> values = new(StringComparer.Ordinal);

    public static async Task<ApiArgs> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        var args = new ApiArgs();
        foreach (var (key, value) in request.Query) args.values[key] = JsonValue.Create(value.ToString());

        if (request.HasJsonContentType())
        {
            JsonNode? body;
            try
            {
                body = await JsonNode.ParseAsync(request.Body, cancellationToken: ct);
            }
            catch (JsonException)
            {
                throw BotApiException.BadRequest("can't parse JSON body");
            }
            if (body is JsonObject obj)
            {
                foreach (var (key, value) in obj) args.values[key] = value?.DeepClone();
            }
        }
        else if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(ct);
            foreach (var (key, value) in form) args.values[key] = JsonValue.Create(value.ToString());
        }
        return args;
    }

    public static ApiArgs From(JsonObject obj)
    {
        var args = new ApiArgs();
        foreach (var (key, value) in obj) args.values[key] = value?.DeepClone();
        return args;
    }

    public bool Has(string name) => values.TryGetValue(name, out var v) && v is not null && !(v is JsonValue jv && jv.TryGetValue<string>(out var s) && s.Length == 0);

    public string? String(string name)
    {
        if (!values.TryGetValue(name, out var node) || node is null) return null;
        if (node is JsonValue value)
        {
            if (value.TryGetValue<string>(out var s)) return s;
            if (value.GetValueKind() is JsonValueKind.True or JsonValueKind.False) return value.GetValue<bool>() ? "true" : "false";
        }
        return node.ToJsonString();
    }

    public long? Long(string name)
    {
        if (!values.TryGetValue(name, out var node) || node is not JsonValue value) return null;
        if (value.GetValueKind() == JsonValueKind.Number) return value.GetValue<long>();
        if (value.TryGetValue<string>(out var s) && s.Length > 0)
        {
            if (long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l)) return l;
            throw BotApiException.BadRequest($"invalid {name} specified");
        }
        return null;
    }

    public int? Int(string name) => Long(name) is { } l ? (int)Math.Clamp(l, int.MinValue, int.MaxValue) : null;

    public bool Bool(string name)
    {
        if (!values.TryGetValue(name, out var node) || node is not JsonValue value) return false;
        return value.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.Number => value.GetValue<long>() != 0,
            JsonValueKind.String => value.GetValue<string>() is "true" or "True" or "1",
            _ => false,
        };
    }

    public JsonObject? Object(string name, string? error = null) => Node(name, error) switch
    {
        null => null,
        JsonObject o => o,
        _ => throw BotApiException.BadRequest(error ?? $"can't parse {name} JSON object"),
    };

    public JsonArray? Array(string name, string? error = null) => Node(name, error) switch
    {
        null => null,
        JsonArray a => a,
        _ => throw BotApiException.BadRequest(error ?? $"can't parse {name} JSON array"),
    };

    private JsonNode? Node(string name, string? error)
    {
        if (!values.TryGetValue(name, out var node) || node is null) return null;
        if (node is JsonValue value && value.TryGetValue<string>(out var text))
        {
            if (text.Length == 0) return null;
            try
            {
                return JsonNode.Parse(text);
            }
            catch (JsonException)
            {
                throw BotApiException.BadRequest(error ?? $"can't parse {name} JSON object");
            }
        }
        return node;
    }
}
