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
}
