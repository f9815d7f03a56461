namespace Mesh.TelegramSandbox.Bots;

/// <summary>The webhook a bot set with setWebhook.</summary>
public sealed record WebhookState(string Url, string? SecretToken, int MaxConnections, IReadOnlyList<string>? AllowedUpdates);
