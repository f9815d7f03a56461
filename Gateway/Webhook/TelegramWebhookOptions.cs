using Microsoft.Extensions.Options;

namespace Mesh.Gateway.Webhook;

/// <summary>The gateway's part of the <c>Telegram</c> section.</summary>
public sealed class TelegramWebhookOptions
{
    public const string Section = "Telegram";

    /// <summary>Expected in <c>X-Telegram-Bot-Api-Secret-Token</c>. Empty only in Development. Never logged.</summary>
    public string WebhookSecret { get; set; } = "";
}

/// <summary>An empty secret is refused outside Development: anyone could post updates as Telegram.</summary>
public sealed class TelegramWebhookOptionsValidator(IHostEnvironment environment) : IValidateOptions<TelegramWebhookOptions>
{
    public ValidateOptionsResult Validate(string? name, TelegramWebhookOptions options) =>
        string.IsNullOrEmpty(options.WebhookSecret) && !environment.IsDevelopment()
            ? ValidateOptionsResult.Fail($"{TelegramWebhookOptions.Section}:{nameof(TelegramWebhookOptions.WebhookSecret)} is required outside Development (the secret Telegram sends in X-Telegram-Bot-Api-Secret-Token).")
            : ValidateOptionsResult.Success;
}

/// <summary>Where the bot service is: Aspire's service-discovery keys <c>services:bot:grpc:0</c> and <c>services:bot:http:0</c>.</summary>
public sealed class BotServiceLocation
{
    public const string Section = "services:bot";

    public List<string> Grpc { get; set; } = [];

    public List<string> Http { get; set; } = [];
}

public sealed class BotServiceLocationValidator : IValidateOptions<BotServiceLocation>
{
    public ValidateOptionsResult Validate(string? name, BotServiceLocation options)
    {
        var failures = new List<string>();
        if (options.Grpc.Count == 0 || !Uri.TryCreate(options.Grpc[0], UriKind.Absolute, out _))
        {
            failures.Add($"{BotServiceLocation.Section}:grpc:0 is required (the bot service's gRPC endpoint, e.g. http://127.0.0.1:5292).");
        }
        if (options.Http.Count == 0 || !Uri.TryCreate(options.Http[0], UriKind.Absolute, out _))
        {
            failures.Add($"{BotServiceLocation.Section}:http:0 is required (the bot service's HTTP endpoint, for its health).");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
