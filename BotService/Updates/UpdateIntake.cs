using System.Diagnostics;
using System.Globalization;

namespace Mesh.Bot.Updates;

/// <summary>An update as the gateway hands it over: ids it read, the raw JSON, and the trace it arrived in (W3C traceparent, or null).</summary>
public readonly record struct IncomingUpdate(long UpdateId, long ChatId, ReadOnlyMemory<byte> Json, string? TraceParent);

/// <summary>
/// Takes an update in: de-duplicates on update_id and appends it to its chat's durable queue, in one Redis round trip.
/// Handlers never run here; the trace context is stored with the update so the worker continues the same trace.
/// </summary>
public sealed partial class UpdateIntake(ChatQueue queue, ILogger<UpdateIntake> logger)
{
    static readonly KeyValuePair<string, object?> AcceptedTag = new("status", "accepted");
    static readonly KeyValuePair<string, object?> DuplicateTag = new("status", "duplicate");

    public async Task<bool> AcceptAsync(long updateId, long chatId, ReadOnlyMemory<byte> updateJson)
    {
        var id = updateId.ToString(CultureInfo.InvariantCulture);
        var chat = chatId.ToString(CultureInfo.InvariantCulture);
        var accepted = await queue.EnqueueAsync(NewEntry.Update(updateId, chat, QueuedEntry.HeaderPrefix(EntryKind.Update, id, Activity.Current?.Id), updateJson));
        BotTelemetry.UpdatesAccepted.Add(1, accepted ? AcceptedTag : DuplicateTag);
        Log(updateId, chatId, accepted);
        return accepted;
    }

    /// <summary>
    /// <see cref="AcceptAsync"/> for many updates in one Redis round trip (the gateway's group commit). Each entry keeps
    /// the trace of the webhook request it came in (else this call's). Answers per update, in order: true queued, false
    /// duplicate (also for an update_id repeated within <paramref name="updates"/>).
    /// </summary>
    public async Task<bool[]> AcceptManyAsync(IReadOnlyList<IncomingUpdate> updates)
    {
        var current = Activity.Current?.Id;
        var entries = new NewEntry[updates.Count];
        for (var i = 0; i < entries.Length; i++)
        {
            var update = updates[i];
            var id = update.UpdateId.ToString(CultureInfo.InvariantCulture);
            var traceParent = IsTraceParent(update.TraceParent) ? update.TraceParent : current;
            entries[i] = NewEntry.Update(update.UpdateId, update.ChatId.ToString(CultureInfo.InvariantCulture),
                QueuedEntry.HeaderPrefix(EntryKind.Update, id, traceParent), update.Json);
        }
        var accepted = await queue.EnqueueManyAsync(entries);
        var queued = 0;
        for (var i = 0; i < accepted.Length; i++)
        {
            queued += accepted[i] ? 1 : 0;
            Log(updates[i].UpdateId, updates[i].ChatId, accepted[i]);
        }
        if (queued > 0)
        {
            BotTelemetry.UpdatesAccepted.Add(queued, AcceptedTag);
        }
        if (queued < accepted.Length)
        {
            BotTelemetry.UpdatesAccepted.Add(accepted.Length - queued, DuplicateTag);
        }
        return accepted;
    }

    // The traceparent goes into the entry's space-separated header line, so only a well-formed one is taken.
    static bool IsTraceParent(string? value) =>
        !string.IsNullOrEmpty(value) && ActivityContext.TryParse(value, null, out _);

    void Log(long updateId, long chatId, bool accepted)
    {
        if (accepted)
        {
            LogAccepted(logger, updateId, chatId);
        }
        else
        {
            LogDuplicate(logger, updateId, chatId);
        }
    }

    [LoggerMessage(1, LogLevel.Debug, "Queued update {UpdateId} for chat {ChatId}")]
    static partial void LogAccepted(ILogger logger, long updateId, long chatId);

    [LoggerMessage(2, LogLevel.Debug, "Update {UpdateId} for chat {ChatId} is a duplicate")]
    static partial void LogDuplicate(ILogger logger, long updateId, long chatId);
}
