using Mesh.Bot.Updates;
using Microsoft.Extensions.DependencyInjection;
using Telegram.Bot.Types;

namespace Mesh.Bot.Tests.Unit;

public sealed class UpdatePipelineTests
{
    static BotContext Context() => new(new Update { Id = 1 }, 1, null!, null!, CancellationToken.None);

    [Fact]
    public async Task Middlewares_run_in_registration_order_around_each_other()
    {
        var trace = new List<string>();
        var pipeline = new UpdatePipeline([
            new DelegateMiddleware(async (_, next) => { trace.Add("a>"); await next(); trace.Add("<a"); }),
            new DelegateMiddleware(async (_, next) => { trace.Add("b>"); await next(); trace.Add("<b"); }),
        ]);

        await pipeline.RunAsync(Context());

        Assert.Equal(["a>", "b>", "<b", "<a"], trace);
    }

    [Fact]
    public async Task Middleware_that_does_not_call_next_stops_the_update()
    {
        var reached = false;
        var pipeline = new UpdatePipeline([
            new DelegateMiddleware((_, _) => Task.CompletedTask),
            new DelegateMiddleware((_, next) => { reached = true; return next(); }),
        ]);

        await pipeline.RunAsync(Context());

        Assert.False(reached);
    }

    /// <summary>Records, per update, which instance of itself ran, and its name in the update's "order".</summary>
    class Seen : IBotMiddleware
    {
        public Task InvokeAsync(BotContext ctx, Func<Task> next)
        {
            ctx.Items[GetType().Name + ctx.UpdateId] = this;
            ((List<string>)ctx.Items["order"]!).Add(GetType().Name);
            return next();
        }
    }

    sealed class PerUpdate : Seen;

    [Fact]
    public async Task Registered_middlewares_run_in_order_a_scoped_one_new_for_each_update_a_singleton_shared()
    {
        var services = new ServiceCollection();
        services.AddBotMiddleware<PerUpdate>();
        services.AddBotMiddleware((ctx, next) => { ((List<string>)ctx.Items["order"]!).Add("delegate"); return next(); });
        services.AddBotMiddleware<Seen>(ServiceLifetime.Singleton);
        await using var root = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
        var pipeline = UpdatePipeline.Build(root, root.GetServices<BotMiddlewareRegistration>());

        var items = new List<IDictionary<string, object?>>();
        for (var id = 1; id <= 2; id++)
        {
            await using var scope = root.CreateAsyncScope();
            var ctx = new BotContext(new Update { Id = id }, 1, null!, scope.ServiceProvider, CancellationToken.None);
            ctx.Items["order"] = new List<string>();
            await pipeline.RunAsync(ctx);
            items.Add(ctx.Items);
        }

        Assert.All(items, i => Assert.Equal(["PerUpdate", "delegate", "Seen"], (List<string>)i["order"]!));
        Assert.NotSame(items[0]["PerUpdate1"], items[1]["PerUpdate2"]);
        Assert.Same(items[0]["Seen1"], items[1]["Seen2"]);
        Assert.Throws<ArgumentOutOfRangeException>(() => services.AddBotMiddleware<Seen>(ServiceLifetime.Transient));
        Assert.Throws<InvalidOperationException>(() => services.AddBotMiddleware<Seen>(ServiceLifetime.Scoped)); // one lifetime each
    }
}
