using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Aspire.Hosting;

/// <summary>
/// The bot's operator actions as commands on its resource in the dashboard (and for <c>aspire resource bot &lt;command&gt;</c>).
/// The work is the bot service's: each command calls its <c>/operations</c> endpoints on the bot's <c>http</c> endpoint,
/// the same implementation as the operator API and the bot's command line.
/// </summary>
public static class BotCommands
{
    public const string WebhookInfo = "webhook-info";
    public const string SetWebhook = "set-webhook";
    public const string DeleteWebhook = "delete-webhook";
    public const string ClearConversations = "clear-conversations";
    public const string DeadLetters = "dead-letters";
    public const string RequeueDeadLetters = "requeue-dead-letters";

    static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(60) };

    public static IResourceBuilder<ProjectResource> WithBotCommands(this IResourceBuilder<ProjectResource> bot)
    {
        // The resource captured here: the context's ResourceName is the instance name (bot-xxxx), not "bot".
        var http = bot.GetEndpoint("http");

        return bot
            .WithCommand(WebhookInfo, "Webhook info", context => CallAsync(http, HttpMethod.Get, "/operations/webhook", Describe, context), new CommandOptions
            {
                Description = "Telegram's getWebhookInfo, and what differs from the bot's configuration.",
                IconName = "Info",
                UpdateState = WhenHealthy,
            })
            .WithCommand(SetWebhook, "Set webhook", context => CallAsync(http, HttpMethod.Post, "/operations/webhook/setup", Describe, context), new CommandOptions
            {
                Description = "setWebhook with the configured URL, secret, allowed updates and max connections.",
                ConfirmationMessage = "Set the bot's webhook to the configured URL now?",
                IconName = "PlugConnected",
                UpdateState = WhenHealthy,
            })
            .WithCommand(DeleteWebhook, "Delete webhook", context => CallAsync(http, HttpMethod.Post, "/operations/webhook/delete", _ => "Webhook deleted", context), new CommandOptions
            {
                Description = "deleteWebhook: Telegram keeps the updates until a webhook is set again or the bot polls.",
                ConfirmationMessage = "Delete the bot's webhook? Telegram stops delivering updates until it is set again.",
                IconName = "PlugDisconnected",
                UpdateState = WhenHealthy,
            })
            .WithCommand(ClearConversations, "Clear stuck conversations", context => CallAsync(http, HttpMethod.Post, "/operations/conversations/clear",
                ConversationsCleared, context), new CommandOptions
            {
                Description = "Resets every dialog users are in (the profile's questions…) and tells those users, in their language, how to start again. Menus keep working.",
                ConfirmationMessage = "Reset every dialog users are in? Each of those users gets a message saying support reset it.",
                IconName = "Broom",
                UpdateState = WhenHealthy,
            })
            .WithCommand(DeadLetters, "Dead letters", context => CallAsync(http, HttpMethod.Get, "/operations/deadletters?limit=20",
                DeadLettersListed, context), new CommandOptions
            {
                Description = "The 20 newest updates and notifications given up on after their tries: chat, id, when queued, the last error.",
                IconName = "MailError",
                UpdateState = WhenHealthy,
            })
            .WithCommand(RequeueDeadLetters, "Requeue dead letters", context => CallAsync(http, HttpMethod.Post, "/operations/deadletters/requeue",
                DeadLettersRequeued, context), new CommandOptions
            {
                Description = "Puts every dead letter back in its chat's queue, to be handled again (after a fix of what failed them). One chat's alone: deadletters requeue --chat on the bot's command line.",
                ConfirmationMessage = "Handle every dead letter again? An update that failed part-way may have its effect twice, and one that fails again holds its chat up for its retries (about 30 s).",
                IconName = "ArrowRepeatAll",
                UpdateState = WhenHealthy,
            });
    }

    // What the commands say, from the bot's answer: "1 dead letter", "3 dead letters" (it said "1 dead letters").
    public static string ConversationsCleared(JsonObject result) =>
        $"Reset {Counted(result["dialogs_reset"], "dialog")}, told {Counted(result["users_told"], "user")}";

    public static string DeadLettersListed(JsonObject result) => Counted(result["count"], "dead letter");

    public static string DeadLettersRequeued(JsonObject result) =>
        $"Requeued {Counted(result["count"], "dead letter")}, {result["left"]} left (not readable, or no chat recorded)";

    static string Counted(JsonNode? count, string noun) =>
        count?.ToJsonString() == "1" ? $"1 {noun}" : $"{count} {noun}s";

    static ResourceCommandState WhenHealthy(UpdateCommandStateContext context) =>
        context.ResourceSnapshot.HealthStatus == HealthStatus.Healthy ? ResourceCommandState.Enabled : ResourceCommandState.Disabled;

    static string Describe(JsonObject result) =>
        result["url"] is JsonValue url && url.ToString() is { Length: > 0 } text ? $"Webhook: {text}" : "No webhook set";

    static async Task<ExecuteCommandResult> CallAsync(EndpointReference http, HttpMethod method, string path, Func<JsonObject, string> message,
        ExecuteCommandContext context)
    {
        try
        {
            using var request = new HttpRequestMessage(method, http.Url.TrimEnd('/') + path);
            using var response = await Http.SendAsync(request, context.CancellationToken);
            var body = await response.Content.ReadFromJsonAsync<JsonObject>(context.CancellationToken) ?? [];
            if (!response.IsSuccessStatusCode)
            {
                return CommandResults.Failure((string?)body["detail"] ?? $"The bot answered {(int)response.StatusCode}.");
            }
            return CommandResults.Success(message(body), body.ToJsonString(Indented), CommandResultFormat.Json);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException && !context.CancellationToken.IsCancellationRequested)
        {
            return CommandResults.Failure("The bot service is not reachable.");
        }
    }

    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
}
