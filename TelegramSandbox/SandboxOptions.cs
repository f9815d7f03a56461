namespace Mesh.TelegramSandbox;

/// <summary>The <c>Sandbox</c> configuration section.</summary>
public sealed class SandboxOptions
{
    public const string Section = "Sandbox";

    /// <summary>When not empty, the only bot tokens accepted; any other well-formed token gets 401.</summary>
    public List<string> Tokens { get; set; } = [];

    /// <summary>Benchmark mode: <c>sendMessage</c> answers a canned success, stores nothing and only counts.</summary>
    public bool Sink { get; set; }

    /// <summary>Pending updates older than this are dropped, as Telegram drops them after 24 hours.</summary>
    public TimeSpan UpdateRetention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How long after the press a callback query can be answered; a later answer gets 400 "query is too old", as from
    /// Telegram. Telegram does not document its limit; it is commonly observed at about 15 seconds.
    /// </summary>
    public TimeSpan CallbackQueryTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long after the user pays a pre-checkout query can be answered; a later answer gets 400 "query is too old" and
    /// the payment does not go through. Telegram documents it: "The Bot API must receive an answer within 10 seconds".
    /// </summary>
    public TimeSpan PreCheckoutQueryTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Where people and bots reach the sandbox when it is behind a proxy, e.g. <c>http://127.0.0.1:5280</c> under the
    /// AppHost, whose proxy listens there and forwards to the port the sandbox itself listens on: the address its
    /// start-up log names. Empty: the addresses it listens on.
    /// </summary>
    public string? PublicUrl { get; set; }

    public SandboxLimits Limits { get; set; } = new();

    public WebhookDeliveryOptions Webhook { get; set; } = new();
}

/// <summary>Flood limits on messages sent and edited; a rate of 0 turns that limit off.</summary>
public sealed class SandboxLimits
{
    public double PerChatPerSecond { get; set; } = 1;
    public int PerChatBurst { get; set; } = 5;

    /// <summary>
    /// Messages a minute to one group (a negative chat id), on top of its chat's limit. Telegram's Bots FAQ: "your bot
    /// will not be able to send more than 20 messages per minute to the same group".
    /// </summary>
    public double PerGroupPerMinute { get; set; } = 20;

    /// <summary>How many of a group's messages may go at once (Telegram does not say; a minute's worth).</summary>
    public int PerGroupBurst { get; set; } = 20;

    public double GlobalPerSecond { get; set; } = 30;
    public int GlobalBurst { get; set; } = 30;
}

public sealed class WebhookDeliveryOptions
{
    public double TimeoutSeconds { get; set; } = 10;
    public double RetryInitialSeconds { get; set; } = 1;
    public double RetryMaxSeconds { get; set; } = 60;
}
