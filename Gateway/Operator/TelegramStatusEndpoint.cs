using System.Text.Json;
using Grpc.Core;
using Mesh.Bot.Grpc;

namespace Mesh.Gateway.Operator;

/// <summary>The bot's Telegram status as operators read it (snake_case JSON).</summary>
public sealed record TelegramStatus(
    string Mode,
    string WebhookUrl,
    int PendingUpdateCount,
    DateTimeOffset? LastErrorDate,
    string? LastErrorMessage,
    string? TelegramError,
    IReadOnlyList<string> WebhookDifferences,
    long QueueDepth,
    double? OldestQueuedUpdateAgeSeconds,
    long LeasesHeld,
    string? PollingLeader,
    long DeadLettered);

/// <summary>
/// <c>GET /api/telegram/status</c>: the bot's <c>BotOperations.GetStatus</c>, mapped; 503 when the bot cannot answer, with
/// the bot's reason when it gave one (its store unavailable).
/// </summary>
public sealed partial class TelegramStatusEndpoint(BotOperations.BotOperationsClient bot, ILogger<TelegramStatusEndpoint> logger)
{
    public const string Route = "/telegram/status";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public async Task<IResult> GetAsync(CancellationToken cancellationToken)
    {
        try
        {
            var status = await bot.GetStatusAsync(new GetStatusRequest(), cancellationToken: cancellationToken);
            return Results.Json(new TelegramStatus(
                status.Mode,
                status.WebhookUrl,
                status.PendingUpdateCount,
                status.LastErrorDate?.ToDateTimeOffset(),
                Empty(status.LastErrorMessage),
                Empty(status.TelegramError),
                [.. status.WebhookDifferences],
                status.QueueDepth,
                status.OldestQueuedUpdateAge?.ToTimeSpan().TotalSeconds,
                status.LeasesHeld,
                Empty(status.PollingLeader),
                status.DeadLettered), Json);
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            LogBotUnavailable(logger, e.StatusCode);
            if (AnsweredByTheBot(e))
            {
                // The bot is up and said what stopped it (its Redis down: "The bot's store is unavailable; try again."):
                // "did not answer" sent operators to the bot's process when the store was what to look at.
                return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "The bot service could not read its status.",
                    detail: e.Status.Detail);
            }
            return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "The bot service did not answer.",
                detail: e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded ? "Try again shortly." : null);
        }
    }

    static string? Empty(string value) => value.Length == 0 ? null : value;

    /// <summary>
    /// A status the bot sent with a reason (its own words, written for operators), as opposed to one made here: the bot
    /// unreachable (the client's exception behind it) or too slow (the deadline, with no detail).
    /// </summary>
    static bool AnsweredByTheBot(RpcException e) =>
        e.Status.DebugException is null && e.StatusCode == StatusCode.Unavailable && e.Status.Detail.Length > 0;

    [LoggerMessage(1, LogLevel.Warning, "Telegram status unavailable: bot service answered {GrpcStatus}")]
    static partial void LogBotUnavailable(ILogger logger, StatusCode grpcStatus);
}
