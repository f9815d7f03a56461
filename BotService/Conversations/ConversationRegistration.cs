using Mesh.Bot.Telegram;
using Mesh.Bot.Updates;

namespace Mesh.Bot.Conversations;

public static class ConversationRegistration
{
    /// <summary>The longest conversation TTL taken: a year (expiry times stay far from the calendar's end).</summary>
    public static readonly TimeSpan MaxConversationTtl = TimeSpan.FromDays(365);

    /// <summary>
    /// The conversation engine: conversation and language stores, menus, every <see cref="IBotFeature"/> of this
    /// assembly (a feature registers itself by existing), the router, and the middlewares in order — tracing and
    /// logging, user context (<c>ctx.Flow</c> and the language, in one round trip), router — plus <c>setMyCommands</c> at start.
    /// </summary>
    public static IServiceCollection AddConversations(this IServiceCollection services)
    {
        services.AddOptions<ConversationOptions>().BindConfiguration(BotOptions.Section)
            .Validate(o => o.ConversationTtl > TimeSpan.Zero && o.ConversationTtl <= MaxConversationTtl,
                $"Bot:ConversationTtl must be positive and at most {MaxConversationTtl.TotalDays} days (a state is meant to expire).")
            .ValidateOnStart();
        services.AddSingleton<ConversationStore>();
        services.AddSingleton<LanguageStore>();
        services.AddSingleton<BotMenus>();
        // What UserContext reads, read by the queue with each update of a private chat it hands a worker.
        services.AddSingleton(sp => UserContext.SnapshotKeys(sp.GetRequiredService<ConversationStore>(), sp.GetRequiredService<LanguageStore>()));

        var features = typeof(ConversationRegistration).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IBotFeature).IsAssignableFrom(t));
        foreach (var feature in features)
        {
            services.AddSingleton(typeof(IBotFeature), feature);
        }
        services.AddSingleton(sp => BotRouter.Build(sp.GetServices<IBotFeature>()));

        services.AddBotMiddleware<UpdateTracing>(ServiceLifetime.Singleton);
        services.AddSingleton<ChatMemberTracking>();
        services.AddBotMiddleware<UserContext>(ServiceLifetime.Singleton);
        services.AddBotMiddleware<BotDispatcher>(ServiceLifetime.Singleton);

        services.AddHostedService<BotCommandsPublisher>();
        return services;
    }
}
