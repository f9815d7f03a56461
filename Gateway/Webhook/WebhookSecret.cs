using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Mesh.Gateway.Webhook;

/// <summary>Checks <c>X-Telegram-Bot-Api-Secret-Token</c> in constant time. An empty configured secret (Development only) accepts anything.</summary>
public sealed class WebhookSecret(IOptions<TelegramWebhookOptions> options)
{
    public const string Header = "X-Telegram-Bot-Api-Secret-Token";

    readonly byte[] expected = Encoding.UTF8.GetBytes(options.Value.WebhookSecret);

    public bool IsDisabled => expected.Length == 0;

    public bool Matches(string? presented)
    {
        if (IsDisabled)
        {
            return true;
        }
        if (string.IsNullOrEmpty(presented) || presented.Length > 256)
        {
            return false;
        }
        Span<byte> buffer = stackalloc byte[1024];
        var length = Encoding.UTF8.GetBytes(presented, buffer);
        return CryptographicOperations.FixedTimeEquals(buffer[..length], expected);
    }
}

/// <summary>Says at start, loudly, that the webhook accepts posts from anyone (empty secret, Development only).</summary>
public sealed partial class WebhookSecretWarning(WebhookSecret secret, ILogger<WebhookSecretWarning> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (secret.IsDisabled)
        {
            LogDisabled(logger);
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(1, LogLevel.Warning, "Telegram:WebhookSecret is empty: the webhook secret check is OFF (allowed in Development only). Anyone can post updates.")]
    static partial void LogDisabled(ILogger logger);
}
