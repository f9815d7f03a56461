using Mesh.Bot.Conversations;
using Mesh.Bot.Grpc;
using Mesh.Bot.Operations;
using Mesh.Bot.Telegram;
using Mesh.Bot.Updates;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Mesh.Bot;

public static class BotServiceExtensions
{
    /// <summary>All of the bot service's wiring: options validated at start, Redis, the Bot API client, intake, workers, handlers.</summary>
    public static IHostApplicationBuilder AddBotServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;

        services.AddOptions<BotOptions>().BindConfiguration(BotOptions.Section).ValidateOnStart();
        services.AddOptions<TelegramOptions>().BindConfiguration(TelegramOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TelegramOptions>, TelegramOptionsValidator>();
        services.AddSingleton(TimeProvider.System);

        // ConnectionStrings:redis; brings the Redis health check (/health) and, when telemetry is exported, tracing of every Redis call.
        var exporting = builder.HasTelemetryExporter();
        // The client keeps its own socket threads (not the shared thread pool): when the pool is starved — a cold start
        // on a busy machine — Redis replies, and with them lease renewals, must still get through.
        builder.AddRedisClient("redis", settings => settings.DisableTracing |= !exporting);
        // A second connection to the same Redis for the intake alone (the acknowledgement path): its scripts never wait
        // in the client's pipe behind the workers' settle scripts, state reads and writes. Redis is checked once (above).
        builder.AddKeyedRedisClient(ChatQueue.IntakeConnection, settings =>
        {
            settings.DisableTracing |= !exporting;
            settings.DisableHealthChecks = true;
        });

        services.AddGrpc(o => o.Interceptors.Add<StoreUnavailableInterceptor>());

        // Telegram: a bare HttpClient (no resilience, discovery or logging handlers: see TelegramClientFactory).
        services.AddKeyedSingleton(TelegramClientFactory.HttpClientName, TelegramClientFactory.CreateHttpClient);
        services.AddSingleton(TelegramClientFactory.Create);
        services.AddSingleton<SendRateLimits>();
        services.AddSingleton<UnreachableChats>();
        services.AddSingleton<OutboundSender>();
        services.AddSingleton<NotificationDelivery>();

        // Updates: intake and durable per-chat queues, workers.
        services.AddSingleton(sp => new ChatQueue(sp.GetRequiredService<IConnectionMultiplexer>(),
            sp.GetRequiredKeyedService<IConnectionMultiplexer>(ChatQueue.IntakeConnection), sp.GetRequiredService<IOptions<BotOptions>>()));
        services.AddSingleton<UpdateIntake>();
        services.AddHostedService<UpdateWorkers>();
        services.AddHostedService<QueueSampler>();

        // The handler pipeline, in order: tracing, user context, language, the router and its features.
        services.AddScoped<UpdatePipeline>();
        services.AddConversations();

        // Webhook or polling mode, and the operator actions (issue 10).
        builder.AddBotOperations();

        return builder;
    }
}
