namespace Mesh.TelegramSandbox.Bots;

/// <summary>A Telegram user as the sandbox knows them.</summary>
public sealed record SandboxUserProfile(long Id, string FirstName, string? LastName, string? Username, string? LanguageCode);
