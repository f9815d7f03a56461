using System.Net;
using Microsoft.Extensions.Hosting;
using Mesh.Testing;
using Mesh.Testing.Sandbox;
using Mesh.Testing.Services;

namespace Mesh.Bot.Tests.Integration;

public sealed class ConfigurationTests(RedisServerFixture redis)
{
    [Fact]
    public async Task Missing_bot_token_stops_the_start_naming_the_key()
    {
        await using var bot = ServiceHost.Start("BotService", new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = redis.ConnectionString,
        }, grpc: true, environment: "Production");

        var exitCode = await bot.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(StartupRefusal.ExitCode, exitCode);
        Assert.DoesNotContain("   at ", bot.Output); // the keys named, not a stack trace
        Assert.Contains("Telegram:BotToken", bot.Output);
    }

    [Fact]
    public async Task Missing_redis_connection_string_stops_the_start_naming_the_key()
    {
        var token = SandboxHost.NewBotToken();
        await using var bot = ServiceHost.Start("BotService", new Dictionary<string, string?>
        {
            ["Telegram:BotToken"] = token,
        }, grpc: true, environment: "Production");

        var exitCode = await bot.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(StartupRefusal.ExitCode, exitCode);
        Assert.DoesNotContain("   at ", bot.Output); // the keys named, not a stack trace
        Assert.Contains("ConnectionStrings:redis", bot.Output);
        Assert.DoesNotContain(token, bot.Output);
    }

    [Fact]
    public async Task Bot_setting_that_would_stop_the_workers_stops_the_start_naming_the_key()
    {
        await using var bot = ServiceHost.Start("BotService", new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = redis.ConnectionString,
            ["Telegram:BotToken"] = SandboxHost.NewBotToken(),
            ["Bot:Workers"] = "0",
            ["Bot:DeduplicationWindow"] = "01:00:00",
        }, grpc: true, environment: "Production");

        var exitCode = await bot.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(StartupRefusal.ExitCode, exitCode);
        Assert.DoesNotContain("   at ", bot.Output); // the keys named, not a stack trace
        Assert.Contains("Bot:Workers", bot.Output);
        Assert.Contains("Bot:DeduplicationWindow", bot.Output);
    }

    [Fact]
    public async Task A_conversation_ttl_of_forever_stops_the_start_naming_the_key()
    {
        await using var bot = ServiceHost.Start("BotService", new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = redis.ConnectionString,
            ["Telegram:BotToken"] = SandboxHost.NewBotToken(),
            ["Bot:ConversationTtl"] = "3650000.00:00:00", // "never": expiry times past the calendar's end
        }, grpc: true, environment: "Production");

        var exitCode = await bot.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(StartupRefusal.ExitCode, exitCode);
        Assert.DoesNotContain("   at ", bot.Output); // the keys named, not a stack trace
        Assert.Contains("Bot:ConversationTtl must be positive and at most 365 days", bot.Output);
    }

    [Fact]
    public async Task Telemetry_exports_do_not_write_a_log_line_each()
    {
        // An OTLP collector that takes everything, as the AppHost's dashboard does.
        var port = ServerProcess.FreePort();
        using var collector = new HttpListener();
        collector.Prefixes.Add($"http://127.0.0.1:{port}/");
        collector.Start();
        var exports = 0;
        _ = Task.Run(async () =>
        {
            while (collector.IsListening)
            {
                var context = await collector.GetContextAsync();
                await context.Request.InputStream.CopyToAsync(Stream.Null);
                context.Response.StatusCode = 200;
                context.Response.Close();
                Interlocked.Increment(ref exports);
            }
        }, TestContext.Current.CancellationToken);

        await using var bot = await ServiceHost.StartAsync("BotService", new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = redis.ConnectionString,
            ["Telegram:BotToken"] = SandboxHost.NewBotToken(),
            ["Telegram:ApiBaseUrl"] = "http://127.0.0.1:1",
            ["Bot:RedisKeyPrefix"] = RedisServerFixture.NewKeyPrefix("telemetry"),
            ["Logging:LogLevel:Default"] = "Information", // as the services run in the AppHost
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{port}",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "300",
            ["OTEL_BLRP_SCHEDULE_DELAY"] = "300",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "300",
        }, grpc: true);

        await Until.TrueAsync(() => Task.FromResult(Volatile.Read(ref exports) >= 6), TimeSpan.FromSeconds(30), "six exports");

        // Each export went through the HTTP resilience handler, whose Polly logged "Execution attempt … Result: '200'" at
        // Information: in the AppHost, a line a second in every service's console log, and most of what it held.
        Assert.DoesNotContain("Execution attempt", bot.Output);
        Assert.Contains("Now listening on", bot.Output); // Information lines are written
    }
}
