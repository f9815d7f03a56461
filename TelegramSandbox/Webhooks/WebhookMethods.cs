using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Mesh.TelegramSandbox.BotApi;
using Mesh.TelegramSandbox.Bots;
using Microsoft.Extensions.Options;

namespace Mesh.TelegramSandbox.Webhooks;

/// <summary>setWebhook, deleteWebhook, getWebhookInfo.</summary>
public sealed partial class WebhookMethods(WebhookDelivery delivery, TimeProvider clock, IOptions<SandboxOptions> options) : IBotApiMethods
{
    [GeneratedRegex("^[A-Za-z0-9_-]{1,256}$")]
    private static partial Regex SecretPattern();

    private readonly TimeSpan retention = options.Value.UpdateRetention;

    public void Map(BotApiRouter router)
    {
        router.Method("setWebhook", SetWebhookAsync);
        router.Method("deleteWebhook", DeleteWebhookAsync);
        router.Method("getWebhookInfo", GetWebhookInfoAsync);
    }

    private ValueTask<BotApiResult> SetWebhookAsync(BotApiCall call)
    {
        var (bot, args) = (call.Bot, call.Args);
        var url = args.String("url") ?? "";
        if (url.Length == 0) return DeleteWebhookAsync(call);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            throw BotApiException.BadRequest("bad webhook: An HTTPS URL must be provided for webhook");
        var secret = args.String("secret_token");
        if (secret is { Length: 0 }) secret = null;
        if (secret is not null && !SecretPattern().IsMatch(secret))
            throw BotApiException.BadRequest("secret token contains unallowed characters");
        var maxConnections = Math.Clamp(args.Int("max_connections") ?? 40, 1, 100);
        var allowedArray = args.Array("allowed_updates", "can't parse allowed updates JSON array");
        IReadOnlyList<string>? allowed = allowedArray is null ? null : [.. allowedArray.Select(a => a?.ToString() ?? "")];

        string description;
        lock (bot.Sync)
        {
            var old = bot.Webhook;
            var state = new WebhookState(url, secret, maxConnections, allowed ?? bot.AllowedUpdates);
            var same = old is not null && old.Url == state.Url && old.SecretToken == state.SecretToken
                && old.MaxConnections == state.MaxConnections
                && (old.AllowedUpdates ?? []).SequenceEqual(state.AllowedUpdates ?? []);
            description = same ? "Webhook is already set" : "Webhook was set";
            if (old?.Url != url)
            {
                bot.LastErrorDate = null;
                bot.LastErrorMessage = null;
            }
            bot.Webhook = state;
            if (allowed is not null) bot.AllowedUpdates = allowed;
            if (args.Bool("drop_pending_updates")) bot.DropPending();
            bot.UpdatesChanged.Pulse();
        }
        delivery.EnsureRunning(bot);
        return ValueTask.FromResult(BotApiResult.True with { Description = description });
    }

    private static ValueTask<BotApiResult> DeleteWebhookAsync(BotApiCall call)
    {
        var bot = call.Bot;
        string description;
        lock (bot.Sync)
        {
            description = bot.Webhook is null ? "Webhook is already deleted" : "Webhook was deleted";
            bot.Webhook = null;
            bot.LastErrorDate = null;
            bot.LastErrorMessage = null;
            if (call.Args.Bool("drop_pending_updates")) bot.DropPending();
            bot.UpdatesChanged.Pulse();
        }
        return ValueTask.FromResult(BotApiResult.True with { Description = description });
    }

    private ValueTask<BotApiResult> GetWebhookInfoAsync(BotApiCall call)
    {
        var bot = call.Bot;
        lock (bot.Sync)
        {
            bot.DropExpired(clock.GetUtcNow(), retention);
            var hook = bot.Webhook;
            var json = new JsonObject
            {
                ["url"] = hook?.Url ?? "",
                ["has_custom_certificate"] = false,
                ["pending_update_count"] = bot.Updates.Count,
            };
            if (hook is not null)
            {
                json["ip_address"] = "127.0.0.1";
                if (bot.LastErrorDate is { } date)
                {
                    json["last_error_date"] = date;
                    json["last_error_message"] = bot.LastErrorMessage;
                }
                json["max_connections"] = hook.MaxConnections;
                if (hook.AllowedUpdates is { Count: > 0 } allowed) json["allowed_updates"] = new JsonArray([.. allowed.Select(a => (JsonNode)a)]);
            }
            return ValueTask.FromResult(new BotApiResult(json));
        }
    }
}
