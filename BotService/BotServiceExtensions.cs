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
    /// <summary>Thread-pool threads started without delay when work queues up (Redis replies are served by the pool).</summary>
    const int RedisPoolThreads = 8;

    /// <summary>All of the bot service's wiring: options validated at start, Redis, the Bot API client, intake, workers, handlers.</summary>
    public static IHostApplicationBuilder AddBotServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;

        services.AddOptions<BotOptions>().BindConfiguration(BotOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<BotOptions>, BotOptionsValidator>();
        services.AddOptions<TelegramOptions>().BindConfiguration(TelegramOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TelegramOptions>, TelegramOptionsValidator>();
        services.AddSingleton(TimeProvider.System);

        // ConnectionStrings:redis; brings the Redis health check (/health) and, when telemetry is exported, tracing of every Redis call.
        var exporting = builder.HasTelemetryExporter();
        // Redis sockets are served by the shared thread pool, not the client's own ten threads: each reply read there
        // woke a sleeping thread only to hand the result to the pool anyway (measured: 3.2–3.8 context switches of the
        // bot per update with them, 1.4–1.7 without). Replies now wait for a pool thread, so the pool starts threads up
        // to RedisPoolThreads at once when work queues up (a cold start, a blocking call in a library), rather than
        // one per half second, and lease renewals are not held back behind them.
        ThreadPool.GetMinThreads(out var minWorkers, out var minIo);
        ThreadPool.SetMinThreads(Math.Max(minWorkers, RedisPoolThreads), minIo);
        builder.AddRedisClient("redis", settings => settings.DisableTracing |= !exporting,
            options => options.SocketManager = SocketManager.ThreadPool);
        // A second connection to the same Redis for the intake alone (the acknowledgement path): its scripts never wait
        // in the client's pipe behind the workers' settle scripts, state reads and writes. Redis is checked once (above).
        builder.AddKeyedRedisClient(ChatQueue.IntakeConnection, settings =>
        {
            settings.DisableTracing |= !exporting;
            settings.DisableHealthChecks = true;
        }, options => options.SocketManager = SocketManager.ThreadPool);

        services.AddGrpc(o => o.Interceptors.Add<StoreUnavailableInterceptor>());

        // Telegram: a bare HttpClient (no resilience, discovery or logging handlers: see TelegramClientFactory).
        services.AddKeyedSingleton(TelegramClientFactory.HttpClientName, TelegramClientFactory.CreateHttpClient);
        services.AddSingleton(TelegramClientFactory.Create);
        services.AddSingleton<BotApiTransport>();
        services.AddSingleton<SendRateLimits>();
        services.AddSingleton<UnreachableChats>();
        services.AddSingleton<OutboundSender>();
        services.AddSingleton<NotificationDelivery>();
        // The bot's username, from getMe once, before the workers below start: commands addressed to other bots are left to them.
        services.AddSingleton<BotIdentity>();
        services.AddHostedService(provider => provider.GetRequiredService<BotIdentity>());

        // Updates: intake and durable per-chat queues, workers.
        services.AddSingleton(sp => new ChatQueue(sp.GetRequiredService<IConnectionMultiplexer>(),
            sp.GetRequiredKeyedService<IConnectionMultiplexer>(ChatQueue.IntakeConnection), sp.GetRequiredService<IOptions<BotOptions>>(),
            sp.GetService<ChatSnapshotKeys>()));
        services.AddSingleton<UpdateIntake>();
        services.AddHostedService<UpdateWorkers>();
        services.AddHostedService<QueueSampler>();

        // The handler pipeline, in order: tracing, user context, language, the router and its features.
        services.AddSingleton(sp => UpdatePipeline.Build(sp, sp.GetServices<BotMiddlewareRegistration>()));
        services.AddConversations();

        // Webhook or polling mode, and the operator actions (issue 10).
        builder.AddBotOperations();

        return builder;
    }
}
