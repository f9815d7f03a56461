using System.Text.Json;
using Mesh.Bot.Telegram;
using StackExchange.Redis;
using Telegram.Bot.Exceptions;

namespace Mesh.Bot.Operations;

/// <summary>
/// The operator actions over plain HTTP for the AppHost's dashboard commands, under <c>/operations</c>, answered only on
/// the bot's <c>http</c> endpoint (<c>Kestrel:Endpoints:http</c>), which is internal to the mesh (the gateway is the
/// only public surface). Failures become ProblemDetails: 409 when the action does not apply in this mode, 400 for bad
/// input, 503 when Telegram or Redis cannot be reached.
/// </summary>
public static class OperationsEndpoints
{
    public const string Prefix = "/operations";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static WebApplication MapBotOperations(this WebApplication app)
    {
        var httpPort = Uri.TryCreate(app.Configuration["Kestrel:Endpoints:http:Url"], UriKind.Absolute, out var url) ? url.Port : (int?)null;
        var group = app.MapGroup(Prefix).ExcludeFromDescription().AddEndpointFilter(async (context, next) =>
        {
            if (httpPort is { } port && context.HttpContext.Connection.LocalPort != port)
            {
                return Results.NotFound();
            }
            try
            {
                return await next(context);
            }
            catch (WebhookNotConfiguredException e)
            {
                return Results.Problem(statusCode: StatusCodes.Status409Conflict, detail: e.Message);
            }
            catch (ApiRequestException e)
            {
                return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, detail: $"The Bot API refused the call: {e.ErrorCode} {e.Message}");
            }
            catch (Exception e) when (e is RequestException or HttpRequestException or TaskCanceledException && !context.HttpContext.RequestAborted.IsCancellationRequested)
            {
                return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, detail: "The Bot API is unreachable.");
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, detail: "The bot's store is unavailable.");
            }
        });

        group.MapGet("/status", async (BotOperations operations, CancellationToken ct) =>
            Results.Json(await operations.GetStatusAsync(ct), Json));
        group.MapGet("/webhook", async (BotOperations operations, CancellationToken ct) =>
            Results.Json(await operations.CheckWebhookAsync(ct), Json));
        group.MapPost("/webhook/setup", async (BotOperations operations, CancellationToken ct) =>
            Results.Json(await operations.SetupWebhookAsync(ct), Json));
        group.MapPost("/webhook/delete", async (BotOperations operations, CancellationToken ct) =>
            Results.Json(await operations.DeleteWebhookAsync(ct), Json));
        group.MapGet("/deadletters", async (int? limit, BotOperations operations) =>
            limit is { } count && !BotOperations.IsDeadLetterListCount(count)
                ? Results.Problem(statusCode: StatusCodes.Status400BadRequest, detail: $"limit must be 1 to {BotOperations.DeadLetterListMax}.")
                : Results.Json(new { Count = await operations.DeadLetterCountAsync(), Newest = await operations.ListDeadLettersAsync(limit ?? BotOperations.DeadLetterListDefault) }, Json));
        group.MapPost("/deadletters/requeue", async (long? chat, BotOperations operations, CancellationToken ct) =>
            Results.Json(await operations.RequeueDeadLettersAsync(chat, ct), Json));
        group.MapPost("/conversations/clear", async (string? olderThan, BotOperations operations, CancellationToken ct) =>
        {
            TimeSpan? age = null;
            if (olderThan is not null)
            {
                if (!Age.TryParse(olderThan, out var parsed))
                {
                    return Results.Problem(statusCode: StatusCodes.Status400BadRequest, detail: $"olderThan must be an age such as 90s, 30m, 1h or 2d (at most {Age.MaxInWords}).");
                }
                age = parsed;
            }
            return Results.Json(await operations.ClearConversationsAsync(age, ct), Json);
        });
        return app;
    }
}
