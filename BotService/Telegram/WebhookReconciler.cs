using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Telegram.Bot;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;

namespace Mesh.Bot.Telegram;

/// <summary>The webhook as Telegram reports it, and whether it is the one this configuration wants.</summary>
public sealed record WebhookView(
    string Url,
    int PendingUpdateCount,
    DateTimeOffset? LastErrorDate,
    string? LastErrorMessage,
    int? MaxConnections,
    IReadOnlyList<string> AllowedUpdates,
    IReadOnlyList<string> Differences);

/// <summary>What a reconciliation did.</summary>
public sealed record WebhookChange(bool Changed, string Url, IReadOnlyList<string> Differences);

/// <summary>
/// Compares Telegram's webhook with the configured one (url = <c>Telegram:PublicUrl</c> + <c>/telegram/webhook</c>,
/// allowed_updates, max_connections, secret) and calls <c>setWebhook</c> only when something differs.
/// <c>getWebhookInfo</c> never returns the secret, so a SHA-256 hash of the secret last set is kept in Redis
/// (<c>webhook:secret-sha256</c>) and compared instead. The secret itself is never stored or logged.
/// </summary>
public sealed partial class WebhookReconciler(
    ITelegramBotClient bot,
    IConnectionMultiplexer redis,
    IOptions<TelegramOptions> telegram,
    IOptions<BotOptions> botOptions,
    ILogger<WebhookReconciler> logger)
{
    public const string WebhookPath = "/telegram/webhook";

    readonly TelegramOptions settings = telegram.Value;
    readonly RedisKey secretHashKey = botOptions.Value.RedisKeyPrefix + "webhook:secret-sha256";
    readonly RedisKey heldDeletedKey = botOptions.Value.RedisKeyPrefix + "webhook:held-deleted";

    /// <summary>The webhook URL this configuration wants; empty in polling mode.</summary>
    public string DesiredUrl => settings.IsWebhookMode ? settings.PublicUrl.TrimEnd('/') + WebhookPath : "";

    /// <summary>getWebhookInfo, with what differs from the configuration (webhook mode only; none in polling mode).</summary>
    public async Task<WebhookView> InspectAsync(CancellationToken cancellationToken)
    {
        var info = await bot.GetWebhookInfo(cancellationToken);
        return View(info, settings.IsWebhookMode ? await DifferencesAsync(info) : []);
    }

    static WebhookView View(WebhookInfo info, IReadOnlyList<string> differences) => new(
        info.Url,
        info.PendingUpdateCount,
        info.LastErrorDate is { } date ? new DateTimeOffset(DateTime.SpecifyKind(date, DateTimeKind.Utc)) : null,
        info.LastErrorMessage,
        info.MaxConnections,
        [.. (info.AllowedUpdates ?? []).Select(ToTelegramName)],
        differences);

    /// <summary>Sets the configured webhook when something differs (or always, with <paramref name="force"/>).</summary>
    public async Task<WebhookChange> ReconcileAsync(bool force, CancellationToken cancellationToken)
    {
        if (!settings.IsWebhookMode)
        {
            throw new WebhookNotConfiguredException();
        }
        var info = await bot.GetWebhookInfo(cancellationToken);
        var differences = await DifferencesAsync(info);
        if (differences.Count == 0 && !force)
        {
            LogUnchanged(logger, DesiredUrl);
            return new WebhookChange(false, DesiredUrl, differences);
        }
        await SetAsync(cancellationToken);
        LogSet(logger, DesiredUrl, string.Join(",", differences));
        return new WebhookChange(true, DesiredUrl, differences);
    }

    /// <summary>
    /// The periodic check (<see cref="WebhookKeeper"/>): sets the configured webhook when Telegram has none and no
    /// operator holds it deleted. It never overwrites a webhook that is set, whatever it differs in, so replicas of two
    /// configurations during a rollout do not take turns setting theirs. Null when it set it or the webhook is held
    /// deleted; otherwise the webhook Telegram has, with what differs from this configuration.
    /// </summary>
    public async Task<WebhookView?> RestoreIfDeletedAsync(CancellationToken cancellationToken)
    {
        if (!settings.IsWebhookMode)
        {
            throw new WebhookNotConfiguredException();
        }
        var info = await bot.GetWebhookInfo(cancellationToken);
        if (!string.IsNullOrEmpty(info.Url))
        {
            return View(info, await DifferencesAsync(info));
        }
        // The hold is read after Telegram's answer: an operator's delete writes it before it deletes.
        if (await HeldDeletedAsync())
        {
            return null;
        }
        await SetAsync(cancellationToken);
        LogRestored(logger, DesiredUrl);
        return null;
    }

    async Task SetAsync(CancellationToken cancellationToken)
    {
        await bot.SetWebhook(DesiredUrl,
            maxConnections: settings.MaxConnections,
            allowedUpdates: AllowedUpdateTypes(),
            secretToken: string.IsNullOrEmpty(settings.WebhookSecret) ? null : settings.WebhookSecret,
            cancellationToken: cancellationToken);
        var db = redis.GetDatabase();
        await db.StringSetAsync(secretHashKey, SecretHash(settings.WebhookSecret));
        await db.KeyDeleteAsync(heldDeletedKey);
    }

    /// <summary>
    /// deleteWebhook (pending updates kept), and forgets the secret last set so the next start sets it again. An
    /// operator's delete (<paramref name="hold"/>) is also remembered in webhook mode, so the periodic checks of
    /// <see cref="WebhookKeeper"/> leave it deleted until the webhook is set again.
    /// </summary>
    public async Task DeleteAsync(CancellationToken cancellationToken, bool hold = false)
    {
        var db = redis.GetDatabase();
        if (hold && settings.IsWebhookMode)
        {
            // Before the delete, so that a check that sees no webhook also sees the hold.
            await db.StringSetAsync(heldDeletedKey, "1");
        }
        await bot.DeleteWebhook(dropPendingUpdates: false, cancellationToken);
        await db.KeyDeleteAsync(secretHashKey);
        LogDeleted(logger);
    }

    /// <summary>Whether an operator deleted the webhook and nobody set it since.</summary>
    async Task<bool> HeldDeletedAsync() => await redis.GetDatabase().KeyExistsAsync(heldDeletedKey);

    async Task<IReadOnlyList<string>> DifferencesAsync(WebhookInfo info)
    {
        var differences = new List<string>();
        if (!string.Equals(info.Url, DesiredUrl, StringComparison.Ordinal))
        {
            differences.Add("url");
        }
        if (info.MaxConnections != settings.MaxConnections)
        {
            differences.Add("max_connections");
        }
        var current = (info.AllowedUpdates ?? []).Select(ToTelegramName).ToHashSet(StringComparer.Ordinal);
        if (!current.SetEquals(settings.EffectiveAllowedUpdates))
        {
            differences.Add("allowed_updates");
        }
        var remembered = (string?)await redis.GetDatabase().StringGetAsync(secretHashKey);
        if (remembered is null || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(remembered), Encoding.ASCII.GetBytes(SecretHash(settings.WebhookSecret))))
        {
            differences.Add("secret");
        }
        return differences;
    }

    IEnumerable<UpdateType> AllowedUpdateTypes() =>
        settings.EffectiveAllowedUpdates.Select(name => Enum.TryParse<UpdateType>(name.Replace("_", "", StringComparison.Ordinal), ignoreCase: true, out var type)
            ? type
            : throw new InvalidOperationException($"{TelegramOptions.Section}:{nameof(TelegramOptions.AllowedUpdates)} has an unknown update type '{name}'."));

    /// <summary><c>EditedMessage</c> → <c>edited_message</c>, Telegram's own name.</summary>
    static string ToTelegramName(UpdateType type)
    {
        var name = type.ToString();
        var text = new StringBuilder(name.Length + 4);
        foreach (var c in name)
        {
            if (char.IsUpper(c) && text.Length > 0)
            {
                text.Append('_');
            }
            text.Append(char.ToLowerInvariant(c));
        }
        return text.ToString();
    }

    /// <summary>Hex SHA-256 of the secret ("" for none): what Redis remembers instead of the secret.</summary>
    public static string SecretHash(string secret) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    [LoggerMessage(1, LogLevel.Information, "Webhook {Url} is already set as configured; setWebhook not called")]
    static partial void LogUnchanged(ILogger logger, string url);

    [LoggerMessage(2, LogLevel.Information, "Webhook set to {Url} (differed: {Differences})")]
    static partial void LogSet(ILogger logger, string url, string differences);

    [LoggerMessage(3, LogLevel.Information, "Webhook deleted")]
    static partial void LogDeleted(ILogger logger);

    [LoggerMessage(4, LogLevel.Warning, "Telegram had no webhook (deleted by someone else); set it again to {Url}")]
    static partial void LogRestored(ILogger logger, string url);
}

/// <summary>Setting a webhook was asked for while <c>Telegram:PublicUrl</c> is empty (polling mode).</summary>
public sealed class WebhookNotConfiguredException()
    : InvalidOperationException($"{TelegramOptions.Section}:{nameof(TelegramOptions.PublicUrl)} is empty (polling mode): there is no webhook URL to set.");
