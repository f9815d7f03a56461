using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mesh.Testing.Services;

/// <summary>A message the bot sent, as the Bot API stand-in received it.</summary>
public sealed record SentMessage(long ChatId, string Text, JsonNode? ReplyMarkup, DateTimeOffset At);

/// <summary>
/// The smallest Bot API that Telegram.Bot accepts, on a free 127.0.0.1 port: <c>sendMessage</c> answers a canned message
/// and records it (or only counts, in sink mode); per chat it can answer 403 (blocked), 429 with <c>retry_after</c> for
/// the next N sends, or hang (a Telegram that never answers). Used by service tests and the benchmark.
/// </summary>
public sealed class BotApiStandIn : IAsyncDisposable
{
    readonly WebApplication app;
    readonly ConcurrentQueue<SentMessage> sent = new();
    readonly ConcurrentDictionary<long, bool> blocked = new();
    readonly ConcurrentDictionary<long, (int Remaining, int RetryAfter)> rateLimited = new();
    readonly ConcurrentDictionary<long, bool> hanging = new();
    readonly ConcurrentDictionary<long, int> rejected = new();
    readonly ConcurrentQueue<(long ChatId, int Status, DateTimeOffset At)> attempts = new();
    long count;
    long messageId;

    BotApiStandIn(WebApplication app, bool sink)
    {
        this.app = app;
        Sink = sink;
    }

    public bool Sink { get; }

    public string BaseUrl { get; private set; } = "";

    /// <summary>Messages delivered (answered 200), in arrival order. Empty in sink mode.</summary>
    public IReadOnlyList<SentMessage> Sent => sent.ToArray();

    /// <summary>Every sendMessage call with the status it got.</summary>
    public IReadOnlyList<(long ChatId, int Status, DateTimeOffset At)> Attempts => attempts.ToArray();

    public long DeliveredCount => Interlocked.Read(ref count);

    public IEnumerable<SentMessage> SentTo(long chatId) => sent.Where(m => m.ChatId == chatId);

    public void Block(long chatId) => blocked[chatId] = true;

    public void RateLimit(long chatId, int times, int retryAfterSeconds) => rateLimited[chatId] = (times, retryAfterSeconds);

    public void Hang(long chatId) => hanging[chatId] = true;

    public void StopHanging(long chatId) => hanging.TryRemove(chatId, out _);

    /// <summary>The next <paramref name="times"/> sends to the chat get 400 Bad Request.</summary>
    public void Reject(long chatId, int times) => rejected[chatId] = times;

    public static async Task<BotApiStandIn> StartAsync(bool sink = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.Sources.Clear(); // not the appsettings.json of a service that sits in the test's bin
        builder.Configuration.AddInMemoryCollection();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var standIn = new BotApiStandIn(app, sink);
        app.MapPost("/bot{token}/{method}", standIn.HandleAsync);
        await app.StartAsync();
        standIn.BaseUrl = app.Urls.First().TrimEnd('/');
        return standIn;
    }

    async Task HandleAsync(HttpContext context, string token, string method)
    {
        if (Sink && method.Equals("getWebhookInfo", StringComparison.OrdinalIgnoreCase))
        {
            // Webhook mode in the benchmark: the bot reconciles its webhook once at start.
            await WriteAsync(context, 200, """{"ok":true,"result":{"url":"","has_custom_certificate":false,"pending_update_count":0}}""");
            return;
        }
        if (!method.Equals("sendMessage", StringComparison.OrdinalIgnoreCase))
        {
            await WriteAsync(context, 200, """{"ok":true,"result":true}""");
            return;
        }
        if (Sink)
        {
            var id = Interlocked.Increment(ref count);
            await WriteAsync(context, 200, $$$"""{"ok":true,"result":{"message_id":{{{id}}},"date":1700000000,"chat":{"id":1,"type":"private"},"text":"ok"}}""");
            return;
        }
        var body = await JsonNode.ParseAsync(context.Request.Body) ?? new JsonObject();
        var chatId = body["chat_id"]!.GetValueKind() == JsonValueKind.String ? long.Parse(body["chat_id"]!.GetValue<string>()) : body["chat_id"]!.GetValue<long>();
        if (hanging.ContainsKey(chatId))
        {
            attempts.Enqueue((chatId, 0, DateTimeOffset.UtcNow));
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { });
            return;
        }
        if (blocked.ContainsKey(chatId))
        {
            attempts.Enqueue((chatId, 403, DateTimeOffset.UtcNow));
            await WriteAsync(context, 403, """{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}""");
            return;
        }
        if (rejected.TryGetValue(chatId, out var rejections) && rejections > 0)
        {
            rejected[chatId] = rejections - 1;
            attempts.Enqueue((chatId, 400, DateTimeOffset.UtcNow));
            await WriteAsync(context, 400, """{"ok":false,"error_code":400,"description":"Bad Request: test rejection"}""");
            return;
        }
        if (rateLimited.TryGetValue(chatId, out var limit) && limit.Remaining > 0)
        {
            rateLimited[chatId] = (limit.Remaining - 1, limit.RetryAfter);
            attempts.Enqueue((chatId, 429, DateTimeOffset.UtcNow));
            await WriteAsync(context, 429, $$$"""{"ok":false,"error_code":429,"description":"Too Many Requests: retry after {{{limit.RetryAfter}}}","parameters":{"retry_after":{{{limit.RetryAfter}}}}}""");
            return;
        }
        var text = body["text"]?.GetValue<string>() ?? "";
        var markup = body["reply_markup"] is JsonNode node ? (node.GetValueKind() == JsonValueKind.String ? JsonNode.Parse(node.GetValue<string>()) : node.DeepClone()) : null;
        attempts.Enqueue((chatId, 200, DateTimeOffset.UtcNow));
        sent.Enqueue(new SentMessage(chatId, text, markup, DateTimeOffset.UtcNow));
        Interlocked.Increment(ref count);
        var messageNumber = Interlocked.Increment(ref messageId);
        await WriteAsync(context, 200, $$$"""{"ok":true,"result":{"message_id":{{{messageNumber}}},"date":1700000000,"chat":{"id":{{{chatId}}},"type":"private"},"text":{{{JsonSerializer.Serialize(text)}}}}}""");
    }

    static async Task WriteAsync(HttpContext context, int status, string json)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(json);
    }

    /// <summary>Waits until <paramref name="condition"/> holds, or fails after <paramref name="deadline"/>.</summary>
    public static async Task WaitForAsync(Func<bool> condition, TimeSpan deadline, string what)
    {
        var until = DateTime.UtcNow + deadline;
        while (!condition())
        {
            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"Timed out after {deadline} waiting for {what}");
            }
            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
