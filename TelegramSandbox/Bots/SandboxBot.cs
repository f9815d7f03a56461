using System.Text.Json.Nodes;

namespace Mesh.TelegramSandbox.Bots;

/// <summary>
/// One bot: its chats, its pending updates, its webhook and commands. All mutable state is guarded by
/// <see cref="Sync"/>; waiters use the change signals.
/// </summary>
public sealed class SandboxBot
{
    /// <summary>Update types delivered when allowed_updates was never given (Telegram's default).</summary>
    public static readonly IReadOnlyList<string> DefaultUpdateTypes =
    [
        "message", "edited_message", "channel_post", "edited_channel_post", "inline_query", "chosen_inline_result",
        "callback_query", "shipping_query", "pre_checkout_query", "purchased_paid_media", "poll", "poll_answer",
        "my_chat_member", "chat_join_request", "chat_boost", "removed_chat_boost", "business_connection",
        "business_message", "edited_business_message", "deleted_business_messages",
    ];

    private long lastUpdateId;
    private long lastCallbackId;
    private long lastGroupId;

    public SandboxBot(long id, string token)
    {
        Id = id;
        Token = token;
        Username = $"sandbox_{id}_bot";
        FirstName = $"Sandbox Bot {id}";
        lastUpdateId = Random.Shared.Next(100_000, 900_000) * 1000L;
        lastCallbackId = Random.Shared.NextInt64(1_000_000_000_000, 9_000_000_000_000);
        lastGroupId = Random.Shared.NextInt64(1_000_000_000, 4_000_000_000);
    }

    public Lock Sync { get; } = new();
    public long Id { get; }
    public string Token { get; }
    public string Username { get; }
    public string FirstName { get; }

    public Dictionary<long, SandboxChat> Chats { get; } = [];
    public List<PendingUpdate> Updates { get; } = [];
    /// <summary>Pulsed whenever an update is queued or leaves the queue.</summary>
    public ChangeSignal UpdatesChanged { get; } = new();
    /// <summary>Pulsed when a chat is created.</summary>
    public ChangeSignal ChatsChanged { get; } = new();

    public WebhookState? Webhook { get; set; }
    /// <summary>The allowed_updates of the last setWebhook or getUpdates that gave them.</summary>
    public IReadOnlyList<string>? AllowedUpdates { get; set; }
    public long? LastErrorDate { get; set; }
    public string? LastErrorMessage { get; set; }

    /// <summary>Whether a webhook delivery loop runs for this bot, and how many deliveries are under way.</summary>
    public bool DeliveryLoopRunning { get; set; }
    public int WebhookInFlight { get; set; }

    /// <summary>Cancelled when a newer getUpdates request terminates the waiting one.</summary>
    public CancellationTokenSource? ActivePoll { get; set; }

    public Dictionary<string, JsonArray> Commands { get; } = [];
    public CallbackQueryBook CallbackQueries { get; } = new();
    public Dictionary<string, PreCheckoutRecord> PreCheckoutQueries { get; } = [];

    /// <summary>
    /// A new group's id, negative as Telegram's: <c>-N</c> for a group, <c>-100…</c> (minus 10^12 and N) for a supergroup.
    /// Call under <see cref="Sync"/>.
    /// </summary>
    public long NextGroupId(bool supergroup) => supergroup ? -(1_000_000_000_000 + ++lastGroupId) : -++lastGroupId;

    public string NextCallbackQueryId() => (++lastCallbackId).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Queues an update unless allowed_updates excludes its type. Call under <see cref="Sync"/>.</summary>
    public PendingUpdate? Enqueue(string type, long? chatId, JsonObject payload, DateTimeOffset now)
    {
        var allowed = AllowedUpdates is { Count: > 0 } list ? list : DefaultUpdateTypes;
        if (!allowed.Contains(type)) return null;
        var update = new PendingUpdate
        {
            UpdateId = ++lastUpdateId, Type = type, ChatId = chatId, Payload = payload, CreatedAt = now, NextAttemptAt = now,
        };
        Updates.Add(update);
        UpdatesChanged.Pulse();
        return update;
    }

    /// <summary>
    /// drop_pending_updates: forgets every pending update. One being delivered right now is marked, and its delivery
    /// removes it when it ends, whatever the webhook answered. Call under <see cref="Sync"/>, then pulse
    /// <see cref="UpdatesChanged"/> (the callers change more than the queue).
    /// </summary>
    public void DropPending()
    {
        foreach (var update in Updates)
            if (update.InFlight) update.Dropped = true;
        Updates.RemoveAll(u => !u.InFlight);
    }

    /// <summary>Drops updates older than the retention. Call under <see cref="Sync"/>.</summary>
    public void DropExpired(DateTimeOffset now, TimeSpan retention)
    {
        if (Updates.Count > 0 && now - Updates[0].CreatedAt > retention)
            Updates.RemoveAll(u => !u.InFlight && now - u.CreatedAt > retention);
    }
}

/// <summary>A pre-checkout query raised when a user pays an invoice.</summary>
public sealed class PreCheckoutRecord
{
    public required string Id { get; init; }
    public required long ChatId { get; init; }
    public required int InvoiceMessageId { get; init; }
    public required string Currency { get; init; }
    public required long TotalAmount { get; init; }
    public required string Payload { get; init; }

    /// <summary>The last moment an answer is taken (<see cref="SandboxOptions.PreCheckoutQueryTimeout"/> after the payment).</summary>
    public required DateTimeOffset AnswerBy { get; init; }

    public bool? Ok { get; set; }
    public string? ErrorMessage { get; set; }
    public int? PaymentMessageId { get; set; }
}
