using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Mesh.TelegramSandbox.Tests;

/// <summary>An update the receiver got, with the secret header it came with and the status it answered.</summary>
public sealed record ReceivedUpdate(JsonObject Update, string? Secret, int Status)
{
    public long UpdateId => (long)Update["update_id"]!;
    public string? Text => Update["message"]?["text"]?.ToString();
    public long? ChatId => (long?)Update["message"]?["chat"]?["id"] ?? (long?)Update["callback_query"]?["message"]?["chat"]?["id"];
}

/// <summary>A real webhook endpoint on a free port: <see cref="Respond"/> decides each answer (may wait).</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication app;
    private int inFlight;
    private int maxInFlight;

    private WebhookReceiver(WebApplication app) => this.app = app;

    public Func<JsonObject, Task<int>> Respond { get; set; } = _ => Task.FromResult(200);
    /// <summary>The body of a 2xx answer, with its content type (a Bot API call for the sandbox to perform), or none.</summary>
    public Func<JsonObject, (string ContentType, string Body)?> Reply { get; set; } = _ => null;
    public ConcurrentQueue<ReceivedUpdate> Received { get; } = new();
    public IEnumerable<ReceivedUpdate> Accepted => Received.Where(r => r.Status is >= 200 and < 300);
    public int InFlight => Volatile.Read(ref inFlight);
    public int MaxInFlight => Volatile.Read(ref maxInFlight);
    public string Url { get; private set; } = "";

    public static async Task<WebhookReceiver> StartAsync(CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration["Kestrel:Endpoints:http:Url"] = "http://127.0.0.1:0";
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hook", (Delegate)receiver.HandleAsync);
        await app.StartAsync(ct);
        receiver.Url = app.Urls.First().TrimEnd('/') + "/hook";
        return receiver;
    }

    private async Task<IResult> HandleAsync(HttpContext context)
    {
        var now = Interlocked.Increment(ref inFlight);
        int seen;
        while (now > (seen = Volatile.Read(ref maxInFlight)) && Interlocked.CompareExchange(ref maxInFlight, now, seen) != seen)
        {
        }
        try
        {
            var update = (JsonObject)(await JsonNode.ParseAsync(context.Request.Body))!;
            var status = await Respond(update);
            Received.Enqueue(new ReceivedUpdate(update, context.Request.Headers["X-Telegram-Bot-Api-Secret-Token"].FirstOrDefault(), status));
            if (status is >= 300 and < 400)
            {
                // A redirect back to this very hook: followed, it would be delivered on the spot.
                context.Response.Headers.Location = Url;
            }
            if (status is >= 200 and < 300 && Reply(update) is var (contentType, body)) return Results.Text(body, contentType, statusCode: status);
            return Results.StatusCode(status);
        }
        finally
        {
            Interlocked.Decrement(ref inFlight);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync(CancellationToken.None);
        await app.DisposeAsync();
    }
}
