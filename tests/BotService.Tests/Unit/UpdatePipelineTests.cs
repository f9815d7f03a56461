using Mesh.Bot.Updates;
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
}
