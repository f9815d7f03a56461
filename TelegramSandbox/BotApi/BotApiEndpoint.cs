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

        if (faults.Current is { } fault)
        {
            LogFault(logger, bot!.Id, method, fault.StatusCode);
            var error = fault.StatusCode == 429
                ? BotApiException.TooManyRequests(fault.RetryAfter)
                : new BotApiException(fault.StatusCode, fault.StatusCode == 502 ? "Bad Gateway" : "Internal Server Error");
            await WriteErrorAsync(response, error, ct);
            return;
        }

        if (sinkMode && method.Equals("sendMessage", StringComparison.OrdinalIgnoreCase))
        {
            await WriteSinkReplyAsync(context, bot!, ct);
            return;
        }

        var handler = router.Find(method);
        if (handler is null)
        {
            await WriteAsync(response, 404, NotFound, ct);
            return;
        }

        calls.Count(bot!.Id, method);
        try
        {
            var args = await ApiArgs.ReadAsync(context.Request, ct);
            var result = await handler(new BotApiCall(bot!, args, ct));
            LogCall(logger, bot!.Id, method);
            var body = new JsonObject { ["ok"] = true, ["result"] = result.Result };
            if (result.Description is not null) body["description"] = result.Description;
            await WriteAsync(response, 200, JsonSerializer.SerializeToUtf8Bytes(body), ct);
        }
        catch (BotApiException error)
        {
            if (error.ErrorCode == 409) calls.CountConflict(bot!.Id);
            LogRefused(logger, bot!.Id, method, error.ErrorCode);
            await WriteErrorAsync(response, error, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async Task WriteSinkReplyAsync(HttpContext context, SandboxBot bot, CancellationToken ct)
    {
        var args = await ApiArgs.ReadAsync(context.Request, ct);
        var chatId = args.Long("chat_id") ?? 0;
        var messageId = sink.Next();
        var date = clock.GetUtcNow().ToUnixTimeSeconds();
        var json = $$$"""{"ok":true,"result":{"message_id":{{{messageId}}},"from":{"id":{{{bot.Id}}},"is_bot":true,"first_name":"Sink","username":"{{{bot.Username}}}"},"chat":{"id":{{{chatId}}},"type":"private","first_name":"Sink"},"date":{{{date}}},"text":"ok"}}""";
        await WriteAsync(context.Response, 200, System.Text.Encoding.UTF8.GetBytes(json), ct);
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
