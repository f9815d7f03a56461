using Mesh.Bot.Grpc;
using Mesh.Gateway.Operator;
using Mesh.Gateway.Webhook;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Mesh.Gateway;

public static class GatewayServiceExtensions
{
    /// <summary>All of the gateway's wiring: options validated at start, the bot service's gRPC client and health, the webhook.</summary>
    public static IHostApplicationBuilder AddGatewayServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;

        services.AddOptions<TelegramWebhookOptions>().BindConfiguration(TelegramWebhookOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TelegramWebhookOptions>, TelegramWebhookOptionsValidator>();
        services.AddOptions<BotServiceLocation>().BindConfiguration(BotServiceLocation.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<BotServiceLocation>, BotServiceLocationValidator>();

        services.AddSingleton<WebhookSecret>();
        services.AddHostedService<WebhookSecretWarning>();
        services.AddSingleton<TelegramWebhookEndpoint>();
        // Group commit: the webhook's updates go to the bot in AcceptBatch calls, a few in flight at once (Gateway:AcceptConcurrency).
        services.AddOptions<UpdateBatchOptions>().BindConfiguration(UpdateBatchOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<UpdateBatchOptions>, UpdateBatchOptionsValidator>();
        services.AddSingleton<UpdateBatcher>();
        // When the last update came in and how many were refused: what the operator API says while the bot cannot.
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<WebhookTraffic>();
        services.AddHostedService(sp => sp.GetRequiredService<UpdateBatcher>());

#pragma warning disable EXTEXP0001 // RemoveAllResilienceHandlers is marked experimental; it is the documented way to opt one client out.
        // http://_grpc.bot through service discovery (services:bot:grpc:0). No HTTP resilience handler: a down bot must
        // turn into a quick 503 (Telegram retries), and Accept is idempotent anyway. Several HTTP/2 connections under load.
        // The deadline covers one AcceptBatch call (not the time an update waits for its batch).
        // No request logging either: one scope and two log checks per update, for lines that are never written.
        services.AddMeshGrpcClient<TelegramUpdates.TelegramUpdatesClient>("bot", TimeSpan.FromSeconds(5))
            .RemoveAllResilienceHandlers()
            .RemoveAllLoggers()
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = true,
                ConnectTimeout = TimeSpan.FromSeconds(2),
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            });

        services.AddHttpClient(BotServiceHealthCheck.HttpClientName, http =>
            {
                http.BaseAddress = new Uri("http://_http.bot");
                http.Timeout = TimeSpan.FromSeconds(3);
            })
            .RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        services.AddHealthChecks().AddCheck<BotServiceHealthCheck>("bot");

        // The operator API: bearer tokens, rate limit, /api/telegram/status (issue 10).
        builder.AddOperatorApi();

        return builder;
    }

    public static WebApplication MapTelegramWebhook(this WebApplication app)
    {
        // Short-circuit: the endpoint runs as soon as it is routed, skipping the operator API's rate-limiting,
        // authentication and authorization middlewares, which have nothing to do with it (the webhook checks its own
        // secret) and would otherwise run on every update. The endpoint (a singleton) is resolved once, here, and mapped as
        // a plain request delegate: a parameter bound from the services would make each request create a DI scope of its
        // own (its feature, the scope and the scope's dictionary: a fifth of the gateway's allocations per update).
        var endpoint = app.Services.GetRequiredService<TelegramWebhookEndpoint>();
        app.MapPost(TelegramWebhookEndpoint.Route, endpoint.HandleAsync).ShortCircuit();
        return app;
    }
}
