using System.Globalization;
using System.Text.Json;
using Grpc.Core;
using Mesh.Bot.Grpc;
using Mesh.Gateway.Webhook;

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
/// the bot's reason when it gave one (its store unavailable), and what the gateway itself saw of the webhook
/// (<see cref="WebhookTraffic"/>): when the last update came in, and how many updates it has answered 503 since the bot
/// service last took one (Telegram delivers those again: it keeps undelivered updates for 24 hours). The gateway holds
/// no bot token, so it does not ask Telegram.
/// </summary>
public sealed partial class TelegramStatusEndpoint(BotOperations.BotOperationsClient bot, WebhookTraffic traffic, ILogger<TelegramStatusEndpoint> logger)
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
            var seen = traffic.Read();
            var extensions = new Dictionary<string, object?>
            {
                ["last_update_at"] = seen.LastUpdateAt,
                ["refused_deliveries"] = seen.Refused,
                ["refused_since"] = seen.RefusedSince,
                ["refused_update_ids"] = seen.RefusedUpdateIds is var (lowest, highest) ? new { lowest, highest } : null,
                ["counting_since"] = seen.CountingSince,
            };
            if (AnsweredByTheBot(e))
            {
                // The bot is up and said what stopped it (its Redis down: "The bot's store is unavailable; try again."):
                // "did not answer" sent operators to the bot's process when the store was what to look at.
                return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "The bot service could not read its status.",
                    detail: e.Status.Detail + " " + Describe(seen), extensions: extensions);
            }
            return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "The bot service did not answer.",
                detail: (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded ? "Try again shortly. " : "") + Describe(seen),
                extensions: extensions);
        }
    }

    /// <summary>What the gateway saw of the webhook, in words, for the operator reading a 503.</summary>
    public static string Describe(WebhookTrafficView seen)
    {
        var instance = $"(This gateway's figures, since it started at {Time(seen.CountingSince)}.)";
        if (seen.LastUpdateAt is not { } last)
        {
            return "No update has come in through the webhook since the gateway started.";
        }
        var lastText = $"The last update came in through the webhook at {Time(last)}";
        if (seen.Refused == 0 || seen.RefusedSince is not { } since || seen.RefusedUpdateIds is not var (lowest, highest))
        {
            return lastText + "; the gateway has refused none since the bot service last took one. " + instance;
        }
        var waiting = highest - lowest + 1;
        var ids = lowest == highest
            ? $"update {lowest.ToString(CultureInfo.InvariantCulture)}"
            : $"updates {lowest.ToString(CultureInfo.InvariantCulture)} to {highest.ToString(CultureInfo.InvariantCulture)}";
        return lastText + $". Since {Time(since)} the gateway has answered 503 to {Deliveries(seen.Refused)} of {ids} "
            + $"(at most {Updates(Math.Min(waiting, seen.Refused))} waiting: Telegram delivers a refused update again, and keeps "
            + "undelivered updates for 24 hours). " + instance;
    }

    static string Time(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    static string Updates(long count) => count == 1 ? "1 update" : $"{count.ToString(CultureInfo.InvariantCulture)} updates";

    static string Deliveries(long count) => count == 1 ? "1 webhook delivery" : $"{count.ToString(CultureInfo.InvariantCulture)} webhook deliveries";

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
