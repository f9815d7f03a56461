using System.Text.Json;
using System.Text.Json.Nodes;
using Mesh.TelegramSandbox.Bots;
using Mesh.TelegramSandbox.Control;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Mesh.TelegramSandbox.BotApi;

/// <summary><c>/bot&lt;token&gt;/&lt;method&gt;</c>: resolves the bot, applies faults, dispatches and answers like Telegram.</summary>
public sealed partial class BotApiEndpoint(
    BotRegistry registry,
    BotApiRouter router,
    FaultSwitch faults,
    SinkCounter sink,
    CallCounter calls,
    TimeProvider clock,
    IOptions<SandboxOptions> options,
    ILogger<BotApiEndpoint> logger)
{
    /// <summary>
    /// <c>/bot&lt;token&gt;/&lt;method&gt;</c>. Not the route pattern <c>/bot{token}/…</c>: routing matches a literal
    /// prefix case-insensitively from the right, so a token containing "bot" (tokens are random) would not match.
    /// </summary>
    public const string Route = "/{botToken:regex(^bot)}/{method}";

    private static readonly byte[] NotFound = """{"ok":false,"error_code":404,"description":"Not Found"}"""u8.ToArray();
    private static readonly byte[] Unauthorized = """{"ok":false,"error_code":401,"description":"Unauthorized"}"""u8.ToArray();
    private readonly bool sinkMode = options.Value.Sink;

    public async Task HandleAsync(HttpContext context, string token, string method)
    {
        var response = context.Response;
        var ct = context.RequestAborted;
        switch (registry.Resolve(token, out var bot))
        {
            case BotLookup.Malformed:
                await WriteAsync(response, 404, NotFound, ct);
                return;
            case BotLookup.Unauthorized:
                await WriteAsync(response, 401, Unauthorized, ct);
                return;
        }

        if (sinkMode && faults.Current is null && method.Equals("sendMessage", StringComparison.OrdinalIgnoreCase))
        {
            await WriteSinkReplyAsync(context, bot!, ct);
            return;
        }

        try
        {
            var result = await InvokeAsync(bot!, method, c => ApiArgs.ReadAsync(context.Request, c), ct);
            var body = new JsonObject { ["ok"] = true, ["result"] = result.Result };
            if (result.Description is not null) body["description"] = result.Description;
            await WriteAsync(response, 200, JsonSerializer.SerializeToUtf8Bytes(body), ct);
        }
        catch (BotApiException error)
        {
            await WriteErrorAsync(response, error, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// One Bot API call of <paramref name="bot"/>, whichever way it came (an HTTP request, or a webhook's answer: see
    /// <see cref="Webhooks.WebhookReply"/>): the fault switch, the method's own checks, the flood limits, the call counts.
    /// Throws <see cref="BotApiException"/> with Telegram's error (404 Not Found for an unknown method).
    /// </summary>
    public async Task<BotApiResult> InvokeAsync(SandboxBot bot, string method, Func<CancellationToken, Task<ApiArgs>> readArgs, CancellationToken ct)
    {
        if (faults.Current is { } fault)
        {
            LogFault(logger, bot.Id, method, fault.StatusCode);
            throw fault.StatusCode == 429
                ? BotApiException.TooManyRequests(fault.RetryAfter)
                : new BotApiException(fault.StatusCode, fault.StatusCode == 502 ? "Bad Gateway" : "Internal Server Error");
        }

        var handler = router.Find(method) ?? throw new BotApiException(404, "Not Found");
        calls.Count(bot.Id, method);
        try
        {
            var args = await readArgs(ct);
            var result = await handler(new BotApiCall(bot, args, ct));
            LogCall(logger, bot.Id, method);
            return result;
        }
        catch (BotApiException error)
        {
            if (error.ErrorCode == 409) calls.CountConflict(bot.Id);
            if (error.ErrorCode == 429) calls.CountRateLimited(bot.Id);
            LogRefused(logger, bot.Id, method, error.ErrorCode);
            throw;
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or OverflowException or InvalidCastException
            or System.Text.Json.JsonException or InvalidDataException or ArgumentException or KeyNotFoundException)
        {
            // A value of the wrong type or shape somewhere in the call (a JSON number where a string goes, 1.5 for an
            // Integer, a malformed form body): Telegram answers 400 with its JSON error, never a bare 500.
            LogRefused(logger, bot.Id, method, 400);
            throw BotApiException.BadRequest("wrong parameter type or shape");
        }
    }

    /// <summary>
    /// Sink mode's sendMessage: as little work as a canned answer allows, so that a load test measures the bot, not the
    /// sandbox. A JSON body (what Telegram.Bot sends) is scanned for <c>chat_id</c> without building a document; only a
    /// query or form call goes through <see cref="ApiArgs"/>. The reply is formatted straight into UTF-8.
    /// </summary>
    private async Task WriteSinkReplyAsync(HttpContext context, SandboxBot bot, CancellationToken ct)
    {
        var request = context.Request;
        long chatId;
        if (request.HasJsonContentType() && request.QueryString.Value is null or "")
        {
            chatId = await ReadJsonChatIdAsync(request.BodyReader, ct);
        }
        else
        {
            chatId = (await ApiArgs.ReadAsync(request, ct)).Long("chat_id") ?? 0;
        }

        var messageId = sink.Next();
        var date = clock.GetUtcNow().ToUnixTimeSeconds();
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(512);
        try
        {
            if (!System.Text.Unicode.Utf8.TryWrite(buffer, System.Globalization.CultureInfo.InvariantCulture,
                $$$"""{"ok":true,"result":{"message_id":{{{messageId}}},"from":{"id":{{{bot.Id}}},"is_bot":true,"first_name":"Sink","username":"{{{bot.Username}}}"},"chat":{"id":{{{chatId}}},"type":"private","first_name":"Sink"},"date":{{{date}}},"text":"ok"}}""",
                out var written))
            {
                throw new InvalidOperationException("The sink reply does not fit its buffer.");
            }
            var response = context.Response;
            response.StatusCode = 200;
            response.ContentType = "application/json";
            response.ContentLength = written;
            await response.Body.WriteAsync(buffer.AsMemory(0, written), ct);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The top-level <c>chat_id</c> of a JSON body (number or numeric string), or 0.</summary>
    private static async Task<long> ReadJsonChatIdAsync(System.IO.Pipelines.PipeReader reader, CancellationToken ct)
    {
        while (true)
        {
            var read = await reader.ReadAsync(ct);
            if (!read.IsCompleted && !read.IsCanceled)
            {
                reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                continue;
            }
            var chatId = FindChatId(read.Buffer);
            reader.AdvanceTo(read.Buffer.End);
            return chatId;
        }
    }

    private static long FindChatId(System.Buffers.ReadOnlySequence<byte> body)
    {
        try
        {
            var json = new Utf8JsonReader(body);
            if (!json.Read() || json.TokenType != JsonTokenType.StartObject) return 0;
            while (json.Read() && json.TokenType == JsonTokenType.PropertyName)
            {
                var isChatId = json.ValueTextEquals("chat_id"u8);
                if (!json.Read()) return 0;
                if (isChatId)
                {
                    if (json.TokenType == JsonTokenType.Number && json.TryGetInt64(out var number)) return number;
                    if (json.TokenType == JsonTokenType.String
                        && long.TryParse(json.GetString(), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var text)) return text;
                    return 0;
                }
                json.Skip();
            }
        }
        catch (JsonException)
        {
        }
        return 0;
    }

    public static Task WriteErrorAsync(HttpResponse response, BotApiException error, CancellationToken ct)
    {
        var body = new JsonObject
        {
            ["ok"] = false,
            ["error_code"] = error.ErrorCode,
            ["description"] = error.Description,
        };
        if (error.RetryAfter is { } retryAfter) body["parameters"] = new JsonObject { ["retry_after"] = retryAfter };
        if (error.RetryAfter is { } seconds) response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return WriteAsync(response, error.ErrorCode, JsonSerializer.SerializeToUtf8Bytes(body), ct);
    }

    private static async Task WriteAsync(HttpResponse response, int status, byte[] body, CancellationToken ct)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, ct);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Bot {BotId} called {Method}")]
    private static partial void LogCall(ILogger logger, long botId, string method);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Bot {BotId} call {Method} refused with {ErrorCode}")]
    private static partial void LogRefused(ILogger logger, long botId, string method, int errorCode);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Bot {BotId} call {Method} failed by the fault switch with {StatusCode}")]
    private static partial void LogFault(ILogger logger, long botId, string method, int statusCode);
}
