using System.Text.Json.Nodes;

namespace Mesh.TelegramSandbox.Bots;

/// <summary>An update waiting to be fetched with getUpdates or delivered to the webhook.</summary>
public sealed class PendingUpdate
{
    public required long UpdateId { get; init; }
    /// <summary>The update type, Telegram's field name: <c>message</c>, <c>callback_query</c>…</summary>
    public required string Type { get; init; }
    public required long? ChatId { get; init; }
    public required JsonObject Payload { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public int Attempts { get; set; }
    public DateTimeOffset NextAttemptAt { get; set; }
    public bool InFlight { get; set; }
    /// <summary>Dropped (drop_pending_updates) while in flight: its delivery removes it when it ends.</summary>
    public bool Dropped { get; set; }

    public JsonObject ToJson() => new() { ["update_id"] = UpdateId, [Type] = Payload.DeepClone() };
}
