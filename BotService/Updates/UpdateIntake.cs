using System.Diagnostics;
using System.Globalization;

namespace Mesh.Bot.Updates;

/// <summary>
/// Takes an update in: de-duplicates on update_id and appends it to its chat's durable queue, in one Redis round trip.
/// Handlers never run here; the trace context is stored with the update so the worker continues the same trace.
/// </summary>
public sealed partial class UpdateIntake(ChatQueue queue, ILogger<UpdateIntake> logger)
{
    public async Task<bool> AcceptAsync(long updateId, long chatId, ReadOnlyMemory<byte> updateJson)
    {
        var id = updateId.ToString(CultureInfo.InvariantCulture);
        var chat = chatId.ToString(CultureInfo.InvariantCulture);
        var accepted = await queue.EnqueueAsync("u:" + id, chat, QueuedEntry.HeaderPrefix(EntryKind.Update, id, Activity.Current?.Id), updateJson, updateId);
        BotTelemetry.UpdatesAccepted.Add(1, new KeyValuePair<string, object?>("status", accepted ? "accepted" : "duplicate"));
        if (accepted)
        {
            LogAccepted(logger, updateId, chatId);
        }
        else
        {
            LogDuplicate(logger, updateId, chatId);
        }
        return accepted;
    }

    [LoggerMessage(1, LogLevel.Debug, "Queued update {UpdateId} for chat {ChatId}")]
    static partial void LogAccepted(ILogger logger, long updateId, long chatId);

    [LoggerMessage(2, LogLevel.Debug, "Update {UpdateId} for chat {ChatId} is a duplicate")]
    static partial void LogDuplicate(ILogger logger, long updateId, long chatId);
}
