namespace Mesh.Bot.Updates;

/// <summary>A step of the handler pipeline: does its work and calls <c>next</c> to pass the update on (or does not, to stop it).</summary>
public interface IBotMiddleware
{
    Task InvokeAsync(BotContext ctx, Func<Task> next);
}

/// <summary>Middleware given as a delegate: <c>(ctx, next) =&gt; …</c>.</summary>
public sealed class DelegateMiddleware(Func<BotContext, Func<Task>, Task> middleware) : IBotMiddleware
{
    public Task InvokeAsync(BotContext ctx, Func<Task> next) => middleware(ctx, next);
}

/// <summary>A middleware as registered (<see cref="BotPipelineRegistration"/>): its type and lifetime, or its instance.</summary>
public sealed record BotMiddlewareRegistration(Type Type, ServiceLifetime Lifetime, IBotMiddleware? Instance = null);

/// <summary>
/// Runs the registered <see cref="IBotMiddleware"/>s in registration order. Features, the router and conversation
/// state are middlewares; <see cref="BotPipelineRegistration.AddBotMiddleware{T}"/> appends one. One pipeline serves
/// every update: a singleton middleware is resolved once, a scoped one from each update's scope (<c>ctx.Services</c>)
/// when the update reaches it, so a pipeline of singletons resolves nothing per update.
/// </summary>
public sealed class UpdatePipeline
{
    // Per step: the middleware itself (Instance), or none and the type to resolve from the update's scope.
    readonly BotMiddlewareRegistration[] steps;

    /// <summary>A pipeline of these middlewares (tests, tools).</summary>
    public UpdatePipeline(IEnumerable<IBotMiddleware> middlewares)
        : this([.. middlewares.Select(m => new BotMiddlewareRegistration(m.GetType(), ServiceLifetime.Singleton, m))])
    {
    }

    UpdatePipeline(BotMiddlewareRegistration[] steps) => this.steps = steps;

    /// <summary>The pipeline of the registered middlewares, the singletons resolved from <paramref name="services"/> now.</summary>
    public static UpdatePipeline Build(IServiceProvider services, IEnumerable<BotMiddlewareRegistration> registrations) =>
        new([.. registrations.Select(s => s.Instance is null && s.Lifetime == ServiceLifetime.Singleton
            ? s with { Instance = (IBotMiddleware)services.GetRequiredService(s.Type) }
            : s)]);

    public Task RunAsync(BotContext ctx) => Step(ctx, 0);

    Task Step(BotContext ctx, int index) =>
        index < steps.Length
            ? (steps[index].Instance ?? (IBotMiddleware)ctx.Services.GetRequiredService(steps[index].Type)).InvokeAsync(ctx, () => Step(ctx, index + 1))
            : Task.CompletedTask;
}

public static class BotPipelineRegistration
{
    /// <summary>
    /// Appends a middleware to the handler pipeline: scoped (one per update, so it may take scoped services) unless
    /// <paramref name="lifetime"/> says otherwise; a stateless middleware on singletons is best a singleton.
    /// </summary>
    public static IServiceCollection AddBotMiddleware<T>(this IServiceCollection services, ServiceLifetime lifetime = ServiceLifetime.Scoped) where T : class, IBotMiddleware
    {
        if (lifetime == ServiceLifetime.Transient)
        {
            throw new ArgumentOutOfRangeException(nameof(lifetime), "A bot middleware is a singleton or scoped (one per update).");
        }
        if (services.FirstOrDefault(d => d.ServiceType == typeof(T)) is { } registered)
        {
            if (registered.Lifetime != lifetime)
            {
                throw new InvalidOperationException($"{typeof(T).Name} is already registered as {registered.Lifetime}; a middleware has one lifetime.");
            }
        }
        else
        {
            services.Add(new ServiceDescriptor(typeof(T), typeof(T), lifetime));
        }
        return services.AddSingleton(new BotMiddlewareRegistration(typeof(T), lifetime));
    }

    /// <summary>Appends a middleware given as a delegate (one instance for every update).</summary>
    public static IServiceCollection AddBotMiddleware(this IServiceCollection services, Func<BotContext, Func<Task>, Task> middleware) =>
        services.AddSingleton(new BotMiddlewareRegistration(typeof(DelegateMiddleware), ServiceLifetime.Singleton, new DelegateMiddleware(middleware)));
}
