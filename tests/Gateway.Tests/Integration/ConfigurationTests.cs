using Microsoft.Extensions.Hosting;
using Mesh.Testing;
using Mesh.Testing.Services;

namespace Mesh.Gateway.Tests.Integration;

public sealed class ConfigurationTests
{
    static readonly Dictionary<string, string?> BotLocation = new()
    {
        ["services:bot:grpc:0"] = "http://127.0.0.1:1",
        ["services:bot:http:0"] = "http://127.0.0.1:1",
    };

    [Fact]
    public async Task Empty_webhook_secret_outside_development_stops_the_start_naming_the_key()
    {
        await using var gateway = ServiceHost.Start("Gateway", BotLocation, environment: "Production");

        Assert.Equal(StartupRefusal.ExitCode, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.DoesNotContain("   at ", gateway.Output); // the keys named, not a stack trace
        Assert.Contains("Telegram:WebhookSecret", gateway.Output);
    }

    [Fact]
    public async Task Empty_webhook_secret_in_development_starts_with_a_warning_and_a_stop_exits_0()
    {
        await using var gateway = await ServiceHost.StartAsync("Gateway", BotLocation, environment: "Development");

        Assert.Contains("Telegram:WebhookSecret is empty", gateway.Output);
        Assert.Equal(0, await gateway.StopAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task A_setting_of_the_wrong_type_stops_the_start_naming_the_key_not_its_value()
    {
        await using var gateway = ServiceHost.Start("Gateway", new Dictionary<string, string?>(BotLocation)
        {
            ["Telegram:WebhookSecret"] = "s",
            ["Gateway:AcceptConcurrency"] = "two-7f3a",
        }, environment: "Production");

        Assert.Equal(StartupRefusal.ExitCode, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("Gateway:AcceptConcurrency is not a valid System.Int32", gateway.Output);
        Assert.DoesNotContain("two-7f3a", gateway.Output);
        Assert.DoesNotContain("   at ", gateway.Output);
    }

    [Fact]
    public async Task Missing_bot_location_stops_the_start_naming_the_key()
    {
        await using var gateway = ServiceHost.Start("Gateway", new Dictionary<string, string?> { ["Telegram:WebhookSecret"] = "s" }, environment: "Production");

        Assert.Equal(StartupRefusal.ExitCode, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.DoesNotContain("   at ", gateway.Output); // the keys named, not a stack trace
        Assert.Contains("services:bot:grpc:0", gateway.Output);
    }
}
