using System.Diagnostics;
using Mesh.Bot.Updates;

namespace Mesh.Bot.Conversations;

/// <summary>First middleware: a span per update around the router, tagged with the user and the route taken, and a debug log line (ids only, never texts).</summary>
public sealed partial class UpdateTracing(ILogger<UpdateTracing> logger) : IBotMiddleware
{
    public async Task InvokeAsync(BotContext ctx, Func<Task> next)
    {
        using var activity = BotTelemetry.Source.StartActivity("Route");
        var kind = ctx.Update.Type.ToString();
        activity?.SetTag("telegram.update_id", ctx.UpdateId);
        activity?.SetTag("telegram.update_type", kind);
        activity?.SetTag("telegram.chat_id", ctx.ChatId);
        activity?.SetTag("telegram.user_id", ctx.From?.Id);
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next();
        }
        catch (Exception e) when (activity is not null)
        {
            activity.SetStatus(ActivityStatusCode.Error, e.GetType().Name);
            throw;
        }
        finally
        {
            activity?.SetTag("mesh.route", ctx.RouteName);
            LogRouted(logger, ctx.UpdateId, kind, ctx.ChatId, ctx.From?.Id, ctx.RouteName ?? "none", Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    [LoggerMessage(20, LogLevel.Debug, "Update {UpdateId} ({UpdateType}) of chat {ChatId} from user {UserId} went to {Route} in {ElapsedMs} ms")]
    static partial void LogRouted(ILogger logger, long updateId, string updateType, long chatId, long? userId, string route, double elapsedMs);
}
