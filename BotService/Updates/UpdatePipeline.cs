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

/// <summary>
/// Runs the registered <see cref="IBotMiddleware"/>s in registration order. Features, the router and conversation
/// state are middlewares; <see cref="BotPipelineRegistration.AddBotMiddleware{T}"/> appends one.
/// </summary>
public sealed class UpdatePipeline(IEnumerable<IBotMiddleware> middlewares)
{
    readonly IBotMiddleware[] steps = middlewares.ToArray();

    public Task RunAsync(BotContext ctx) => Step(ctx, 0);

    Task Step(BotContext ctx, int index) =>
        index < steps.Length ? steps[index].InvokeAsync(ctx, () => Step(ctx, index + 1)) : Task.CompletedTask;
}

public static class BotPipelineRegistration
{
    /// <summary>Appends a middleware (scoped: one per update) to the handler pipeline.</summary>
    public static IServiceCollection AddBotMiddleware<T>(this IServiceCollection services) where T : class, IBotMiddleware =>
        services.AddScoped<IBotMiddleware, T>();

    public static IServiceCollection AddBotMiddleware(this IServiceCollection services, Func<BotContext, Func<Task>, Task> middleware) =>
        services.AddScoped<IBotMiddleware>(_ => new DelegateMiddleware(middleware));
}
