using Mesh.Bot.Conversations;
using Mesh.Bot.Grpc;
using Mesh.Bot.Telegram;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Mesh.Bot.Operations;

/// <summary>Wiring of the update modes (webhook reconciliation, polling leader) and the operator actions.</summary>
public static class BotOperationsSetup
{
    public static IHostApplicationBuilder AddBotOperations(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;

#pragma warning disable EXTEXP0001 // RemoveAllResilienceHandlers is marked experimental; it is the documented way to opt one client out.
        // getUpdates long-polls: a timeout above the poll's, no retries of its own, and no request logging (the URL holds the token).
        services.AddHttpClient(GetUpdatesClient.HttpClientName)
            .ConfigureHttpClient((provider, http) =>
                http.Timeout = provider.GetRequiredService<IOptions<TelegramOptions>>().Value.PollingTimeout + TimeSpan.FromSeconds(15))
            .RemoveAllResilienceHandlers()
            .RemoveAllLoggers();
#pragma warning restore EXTEXP0001
        services.AddSingleton<GetUpdatesClient>();
        services.AddSingleton<WebhookReconciler>();
        services.AddSingleton<PollingLease>();

        // Exactly one of these does anything, by Telegram:PublicUrl: set → reconcile the webhook at start, then keep it; empty → poll when leader.
        services.AddHostedService<WebhookKeeper>();
        services.AddSingleton<PollingLeader>();
        services.AddHostedService(provider => provider.GetRequiredService<PollingLeader>());

        // Conversation clearing is the conversation store's (registered here too in case the engine's wiring is not in yet).
        services.TryAddSingleton<ConversationStore>();
        services.AddSingleton<IConversationCleaner, ConversationStoreCleaner>();
        services.AddSingleton<BotOperations>();
        return builder;
    }

    /// <summary>The <c>BotOperations</c> gRPC service and the <c>/operations</c> HTTP endpoints.</summary>
    public static WebApplication MapBotOperationsApi(this WebApplication app)
    {
        app.MapGrpcService<OperationsApi>();
        app.MapBotOperations();
        return app;
    }
}
