using Microsoft.Extensions.Options;

namespace Mesh.Bot.Telegram;

/// <summary>The <c>Telegram</c> configuration section.</summary>
public sealed class TelegramOptions
{
    public const string Section = "Telegram";

    /// <summary>Required. Never logged.</summary>
    public string BotToken { get; set; } = "";

    /// <summary>Bot API base URL; empty → the real one.</summary>
    public string ApiBaseUrl { get; set; } = "";

    /// <summary>
    /// Webhook mode: the <c>secret_token</c> the webhook is set with, which Telegram sends with every update and the
    /// gateway checks (the same key there). Required outside Development. Never logged.
    /// </summary>
    public string WebhookSecret { get; set; } = "";

    /// <summary>Public base URL of the gateway: set → webhook mode (<c>PublicUrl</c> + <c>/telegram/webhook</c>); empty → polling mode.</summary>
    public string PublicUrl { get; set; } = "";

    /// <summary>Webhook mode: how often the webhook is checked after the start (and set again when Telegram has none).</summary>
    public TimeSpan WebhookCheckInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Webhook mode: the most concurrent connections Telegram opens to the webhook (1–100).</summary>
    public int MaxConnections { get; set; } = 40;

    /// <summary>Update types the bot receives, in both modes (Telegram's names: <c>message</c>, <c>callback_query</c>…).</summary>
    public List<string> AllowedUpdates { get; set; } = [];

    /// <summary>Polling mode: how long one getUpdates call waits for updates (Telegram allows up to 50 s).</summary>
    public TimeSpan PollingTimeout { get; set; } = TimeSpan.FromSeconds(25);

    /// <summary>Polling mode: the leader's Redis lease; another replica takes over within this time when the leader dies.</summary>
    public TimeSpan PollingLease { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The update types when <see cref="AllowedUpdates"/> is not configured.</summary>
    public static readonly IReadOnlyList<string> DefaultAllowedUpdates =
        ["message", "edited_message", "callback_query", "pre_checkout_query", "my_chat_member"];

    public IReadOnlyList<string> EffectiveAllowedUpdates => AllowedUpdates.Count > 0 ? AllowedUpdates : DefaultAllowedUpdates;

    public bool IsWebhookMode => !string.IsNullOrWhiteSpace(PublicUrl);

    public string WebAppUrl { get; set; } = "";

    /// <summary>Messages per second to one chat (Telegram: about 1); 0 = no limit.</summary>
    public double PerChatPerSecond { get; set; } = 1;

    public int PerChatBurst { get; set; } = 3;

    /// <summary>
    /// Messages a minute to one group (a negative chat id: groups, supergroups, channels), on top of the chat's limit
    /// (Telegram: "not more than 20 messages per minute to the same group"); 0 = no limit.
    /// </summary>
    public double PerGroupPerMinute { get; set; } = 20;

    /// <summary>
    /// A group's messages that may go at once; the rest 60 / <see cref="PerGroupPerMinute"/> seconds apart. Kept small:
    /// Telegram does not say how it counts its minute, and a burst of b lets b - 1 more than 20 go in the first one.
    /// </summary>
    public int PerGroupBurst { get; set; } = 3;

    /// <summary>Messages per second in total (Telegram: about 30); 0 = no limit.</summary>
    public double GlobalPerSecond { get; set; } = 30;

    public int GlobalBurst { get; set; } = 30;

    /// <summary>Tries of one send on 5xx or network errors.</summary>
    public int MaxSendAttempts { get; set; } = 5;

    /// <summary>First back-off after a 5xx or network error; doubles on each try.</summary>
    public TimeSpan SendRetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>429 answers honoured for one send before it counts as failed.</summary>
    public int MaxRateLimitedRetries { get; set; } = 10;
}

/// <summary>Refuses to start without the settings the bot cannot work without, naming the key.</summary>
public sealed class TelegramOptionsValidator(IHostEnvironment environment) : IValidateOptions<TelegramOptions>
{
    public ValidateOptionsResult Validate(string? name, TelegramOptions options)
    {
        var failures = new SettingFailures(TelegramOptions.Section);
        failures.Require(!string.IsNullOrWhiteSpace(options.BotToken), nameof(TelegramOptions.BotToken),
            "is required (the bot token from @BotFather, or the sandbox's)");
        failures.Require(string.IsNullOrWhiteSpace(options.ApiBaseUrl) || Uri.TryCreate(options.ApiBaseUrl, UriKind.Absolute, out _),
            nameof(TelegramOptions.ApiBaseUrl), "must be an absolute URL");
        failures.Require(string.IsNullOrWhiteSpace(options.PublicUrl)
            || (Uri.TryCreate(options.PublicUrl, UriKind.Absolute, out var publicUrl) && (publicUrl.Scheme == Uri.UriSchemeHttps || publicUrl.Scheme == Uri.UriSchemeHttp)),
            nameof(TelegramOptions.PublicUrl), "must be an absolute http(s) URL (the gateway's public base), or empty for polling mode");
        // Telegram's own API sets a webhook only on HTTPS; a stand-in (the sandbox) takes http too.
        failures.Require(!options.IsWebhookMode || !string.IsNullOrWhiteSpace(options.ApiBaseUrl)
            || options.PublicUrl.StartsWith("https://", StringComparison.OrdinalIgnoreCase),
            nameof(TelegramOptions.PublicUrl), "must be https with Telegram's own Bot API (it refuses to set an http webhook)");
        // Without it the webhook is set with no secret_token while the gateway, which requires one outside
        // Development, refuses every update.
        failures.Require(!options.IsWebhookMode || environment.IsDevelopment() || !string.IsNullOrEmpty(options.WebhookSecret),
            nameof(TelegramOptions.WebhookSecret), "is required in webhook mode outside Development (the secret_token the webhook is set with; the gateway's Telegram:WebhookSecret)");
        failures.Require(string.IsNullOrEmpty(options.WebhookSecret) || IsSecretToken(options.WebhookSecret),
            nameof(TelegramOptions.WebhookSecret), "must be 1–256 characters of A–Z, a–z, 0–9, _ and - (Telegram refuses any other secret_token)");
        failures.Require(options.WebhookCheckInterval >= TimeSpan.FromSeconds(1), nameof(TelegramOptions.WebhookCheckInterval), "must be at least 1 second");
        failures.Require(options.MaxConnections is >= 1 and <= 100, nameof(TelegramOptions.MaxConnections), "must be between 1 and 100");
        failures.Require(options.PollingTimeout >= TimeSpan.Zero && options.PollingTimeout <= TimeSpan.FromSeconds(50),
            nameof(TelegramOptions.PollingTimeout), "must be between 0 and 50 seconds");
        failures.Require(options.PollingLease >= TimeSpan.FromSeconds(1), nameof(TelegramOptions.PollingLease), "must be at least 1 second");
        failures.Require(options.PerChatPerSecond >= 0 && options.GlobalPerSecond >= 0,
            $"{nameof(TelegramOptions.GlobalPerSecond)} and {nameof(TelegramOptions.PerChatPerSecond)}", "must not be negative");
        failures.Require(options.PerChatPerSecond <= 0 || options.PerChatBurst >= 1, nameof(TelegramOptions.PerChatBurst),
            $"must be at least 1 while {nameof(TelegramOptions.PerChatPerSecond)} limits the rate");
        failures.Require(options.PerGroupPerMinute >= 0, nameof(TelegramOptions.PerGroupPerMinute), "must not be negative (0: no group limit)");
        failures.Require(options.PerGroupPerMinute <= 0 || options.PerGroupBurst >= 1, nameof(TelegramOptions.PerGroupBurst),
            $"must be at least 1 while {nameof(TelegramOptions.PerGroupPerMinute)} limits the rate");
        failures.Require(options.GlobalPerSecond <= 0 || options.GlobalBurst >= 1, nameof(TelegramOptions.GlobalBurst),
            $"must be at least 1 while {nameof(TelegramOptions.GlobalPerSecond)} limits the rate");
        failures.Require(options.MaxSendAttempts >= 1, nameof(TelegramOptions.MaxSendAttempts), "must be at least 1");
        failures.Require(options.SendRetryDelay > TimeSpan.Zero, nameof(TelegramOptions.SendRetryDelay), "must be positive");
        failures.Require(options.MaxRateLimitedRetries >= 0, nameof(TelegramOptions.MaxRateLimitedRetries), "must not be negative");
        return failures.Result;
    }

    static bool IsSecretToken(string secret) =>
        secret.Length <= 256 && !secret.AsSpan().ContainsAnyExcept(SecretTokenCharacters);

    static readonly System.Buffers.SearchValues<char> SecretTokenCharacters =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");
}
