using System.Security.Cryptography;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

/// <summary>
/// The Telegram Bot API the mesh talks to: the real one when <c>Telegram:BotToken</c> is set in the AppHost's
/// configuration, else the local TelegramSandbox with a development bot token. The webhook secret is
/// <c>Telegram:WebhookSecret</c> when set, else generated for this run.
/// </summary>
public sealed class TelegramApi(IResourceBuilder<ParameterResource> botToken, IResourceBuilder<ParameterResource> webhookSecret,
    IResourceBuilder<ProjectResource>? sandbox)
{
    /// <summary>The sandbox's bot: a well-formed token (<c>&lt;digits&gt;:&lt;35 characters&gt;</c>), not a secret.</summary>
    public const string SandboxBotToken = "7000000001:MeshSandboxDevelopmentBotToken00000";

    public IResourceBuilder<ParameterResource> BotToken { get; } = botToken;

    public IResourceBuilder<ParameterResource> WebhookSecret { get; } = webhookSecret;

    /// <summary>The sandbox resource, when the mesh runs without a real bot token.</summary>
    public IResourceBuilder<ProjectResource>? Sandbox { get; } = sandbox;
}

public static class TelegramApiBuilder
{
    public const string ChatPath = "/chat";

    public static TelegramApi AddTelegram(this IDistributedApplicationBuilder builder, string sandboxName)
    {
        var secret = builder.Configuration["Telegram:WebhookSecret"] is { Length: > 0 } configured
            ? configured
            : Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
        var webhookSecret = builder.AddParameter("telegram-webhook-secret", secret, secret: true);

        if (builder.Configuration["Telegram:BotToken"] is { Length: > 0 } token)
        {
            return new(builder.AddParameter("telegram-bot-token", token, secret: true), webhookSecret, sandbox: null);
        }

        var sandbox = builder.AddProject<Projects.TelegramSandbox>(sandboxName)
            .WithEnvironment("Sandbox__Tokens__0", TelegramApi.SandboxBotToken)
            .WithHttpHealthCheck("/health")
            .WithUrls(context =>
            {
                var http = context.Urls.FirstOrDefault(u => u.Endpoint?.EndpointName == "http");
                if (http is not null)
                {
                    context.Urls.Add(new() { Url = http.Url.TrimEnd('/') + ChatPath, DisplayText = "Telegram chat", Endpoint = http.Endpoint });
                }
            })
            .OnResourceReady((resource, @event, _) =>
            {
                var logger = @event.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Mesh.AppHost");
                logger.LogInformation("Chat with the bot at {ChatUrl}", resource.GetEndpoint("http").Url.TrimEnd('/') + ChatPath);
                return Task.CompletedTask;
            });
        // The sandbox listens on a port of Aspire's choosing behind the endpoint's proxy: its own log names the proxy's
        // address, the one above and on the dashboard, not the port it listens on.
        sandbox.WithEnvironment("Sandbox__PublicUrl", sandbox.GetEndpoint("http"));
        return new(builder.AddParameter("telegram-bot-token", TelegramApi.SandboxBotToken, secret: true), webhookSecret, sandbox);
    }

    /// <summary>
    /// Gives a service the bot token and the Bot API's address (<c>Telegram:BotToken</c>, <c>Telegram:ApiBaseUrl</c>,
    /// <c>Telegram:WebhookSecret</c>), and waits for the sandbox when there is one.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithTelegramBotApi(this IResourceBuilder<ProjectResource> service, TelegramApi telegram)
    {
        service.WithEnvironment("Telegram__BotToken", telegram.BotToken)
            .WithEnvironment("Telegram__WebhookSecret", telegram.WebhookSecret);
        if (telegram.Sandbox is { } sandbox)
        {
            service.WithEnvironment("Telegram__ApiBaseUrl", sandbox.GetEndpoint("http")).WaitFor(sandbox);
        }
        return service;
    }

    /// <summary>
    /// Webhook mode for the bot (<c>Telegram:PublicUrl</c>): with the sandbox, the gateway's own endpoint; with the real
    /// Bot API, the AppHost's <c>Telegram:PublicUrl</c> (a public HTTPS address of the gateway) when set. Without one,
    /// the bot polls.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithTelegramUpdatesVia(this IResourceBuilder<ProjectResource> bot,
        TelegramApi telegram, IResourceBuilder<ProjectResource> gateway)
    {
        if (telegram.Sandbox is not null)
        {
            return bot.WithEnvironment("Telegram__PublicUrl", gateway.GetEndpoint("http"));
        }
        var publicUrl = bot.ApplicationBuilder.Configuration["Telegram:PublicUrl"];
        return string.IsNullOrWhiteSpace(publicUrl) ? bot : bot.WithEnvironment("Telegram__PublicUrl", publicUrl);
    }

    /// <summary>Gives the gateway the secret Telegram sends in <c>X-Telegram-Bot-Api-Secret-Token</c>.</summary>
    public static IResourceBuilder<ProjectResource> WithTelegramWebhookSecret(this IResourceBuilder<ProjectResource> gateway, TelegramApi telegram) =>
        gateway.WithEnvironment("Telegram__WebhookSecret", telegram.WebhookSecret);
}
