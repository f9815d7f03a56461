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

    public string WebhookSecret { get; set; } = "";

    public string PublicUrl { get; set; } = "";

    public string WebAppUrl { get; set; } = "";

    /// <summary>Messages per second to one chat (Telegram: about 1); 0 = no limit.</summary>
    public double PerChatPerSecond { get; set; } = 1;

    public int PerChatBurst { get; set; } = 3;

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
public sealed class TelegramOptionsValidator : IValidateOptions<TelegramOptions>
{
    public ValidateOptionsResult Validate(string? name, TelegramOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.BotToken))
        {
            failures.Add($"{TelegramOptions.Section}:{nameof(TelegramOptions.BotToken)} is required (the bot token from @BotFather, or the sandbox's).");
        }
        if (!string.IsNullOrWhiteSpace(options.ApiBaseUrl) && !Uri.TryCreate(options.ApiBaseUrl, UriKind.Absolute, out _))
        {
            failures.Add($"{TelegramOptions.Section}:{nameof(TelegramOptions.ApiBaseUrl)} must be an absolute URL.");
        }
        if (options.PerChatPerSecond < 0 || options.GlobalPerSecond < 0)
        {
            failures.Add($"{TelegramOptions.Section}:{nameof(TelegramOptions.GlobalPerSecond)} and {nameof(TelegramOptions.PerChatPerSecond)} must not be negative.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
