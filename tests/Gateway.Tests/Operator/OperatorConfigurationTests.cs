using Microsoft.Extensions.Hosting;
using Mesh.Testing.Services;

namespace Mesh.Gateway.Tests.Operator;

public sealed class OperatorConfigurationTests
{
    [Fact]
    public async Task No_operator_token_outside_development_stops_the_start_naming_the_key()
    {
        await using var gateway = ServiceHost.Start("Gateway", new Dictionary<string, string?>
        {
            ["Telegram:WebhookSecret"] = "s",
            ["services:bot:grpc:0"] = "http://127.0.0.1:1",
            ["services:bot:http:0"] = "http://127.0.0.1:1",
        }, environment: "Production");

        Assert.Equal(StartupRefusal.ExitCode, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.DoesNotContain("   at ", gateway.Output); // the keys named, not a stack trace
        Assert.Contains("Gateway:OperatorTokens", gateway.Output);
    }
}
