using OpenTelemetry;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Mesh.Bot.Telegram;

/// <summary>One update from getUpdates: its id, its chat (else its sender, else 0) and its JSON exactly as Telegram sent it.</summary>
public readonly record struct PolledUpdate(long UpdateId, long ChatId, ReadOnlyMemory<byte> Json);

/// <summary>The Bot API answered <c>ok: false</c>. Carries Telegram's code and description, never the request URL.</summary>
public sealed class BotApiErrorException(int errorCode, string description, int? retryAfter)
    : Exception($"Bot API error {errorCode}: {description}")
{
    public int ErrorCode { get; } = errorCode;

    public string Description { get; } = description;

    public int? RetryAfter { get; } = retryAfter;
}

/// <summary>
/// <c>getUpdates</c> with long polling, over a client of its own (timeout above the poll's, no logging handlers: the URL
/// holds the token). Updates are kept as raw JSON, so the intake gets exactly what a webhook would have posted.
/// </summary>
public sealed class GetUpdatesClient(IHttpClientFactory clients, IOptions<TelegramOptions> options)
{
    public const string HttpClientName = "telegram-polling";

    const string RealApi = "https://api.telegram.org";

    readonly TelegramOptions settings = options.Value;

    public async Task<IReadOnlyList<PolledUpdate>> GetUpdatesAsync(long? offset, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var baseUrl = string.IsNullOrWhiteSpace(settings.ApiBaseUrl) ? RealApi : settings.ApiBaseUrl.TrimEnd('/');
        var http = clients.CreateClient(HttpClientName);
        var body = new Dictionary<string, object?>
        {
            ["timeout"] = (int)timeout.TotalSeconds,
            ["allowed_updates"] = settings.EffectiveAllowedUpdates,
        };
        if (offset is { } value)
        {
            body["offset"] = value;
        }
        // A long poll is the polling loop's background chatter, one every few seconds while nothing happens: not a trace
        // of its own on the dashboard (an update it brings starts its trace at its handling).
        using var untraced = SuppressInstrumentationScope.Begin();
        using var response = await http.PostAsJsonAsync($"{baseUrl}/bot{settings.BotToken}/getUpdates", body, cancellationToken);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        return Parse(bytes, (int)response.StatusCode);
    }

    static List<PolledUpdate> Parse(byte[] bytes, int status)
    {
        using var document = ParseEnvelope(bytes, status);
        var updates = new List<PolledUpdate>();
        if (!document.RootElement.TryGetProperty("result", out var result) || result.ValueKind != JsonValueKind.Array)
        {
            throw new BotApiErrorException(status, "getUpdates answered without a result array", null);
        }
        foreach (var update in result.EnumerateArray())
        {
            if (!update.TryGetProperty("update_id", out var id) || !id.TryGetInt64(out var updateId))
            {
                continue;
            }
            updates.Add(new PolledUpdate(updateId, ChatOf(update), Encoding.UTF8.GetBytes(update.GetRawText())));
        }
        return updates;
    }

    static JsonDocument ParseEnvelope(byte[] bytes, int status)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes);
        }
        catch (JsonException)
        {
            throw new BotApiErrorException(status, "the Bot API answered something that is not JSON", null);
        }
        var root = document.RootElement;
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("ok", out var ok) && ok.ValueKind == JsonValueKind.True)
        {
            return document;
        }
        using (document)
        {
            var code = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error_code", out var c) && c.TryGetInt32(out var n) ? n : status;
            var description = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()! : "";
            int? retryAfter = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("parameters", out var p) && p.ValueKind == JsonValueKind.Object
                && p.TryGetProperty("retry_after", out var r) && r.TryGetInt32(out var seconds) ? seconds : null;
            throw new BotApiErrorException(code, description, retryAfter);
        }
    }

    /// <summary>As the gateway reads it: the first <c>chat.id</c> in the update, else the first <c>from.id</c>, else 0.</summary>
    public static long ChatOf(JsonElement update) => Find(update, "chat"u8) ?? Find(update, "from"u8) ?? 0;

    static long? Find(JsonElement element, ReadOnlySpan<byte> name)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (property.NameEquals(name) && property.Value.ValueKind == JsonValueKind.Object
                    && property.Value.TryGetProperty("id", out var id) && id.TryGetInt64(out var value))
                {
                    return value;
                }
                if (property.Value.ValueKind is JsonValueKind.Object or JsonValueKind.Array && Find(property.Value, name) is { } found)
                {
                    return found;
                }
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                if (Find(item, name) is { } found)
                {
                    return found;
                }
            }
        }
        return null;
    }
}
