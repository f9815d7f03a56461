using Mesh.Testing.Services;
using Mesh.TelegramSandbox.Client;
using Xunit;

namespace Mesh.Testing.Sandbox;

/// <summary>
/// The Telegram sandbox as a process of its own on a free port (in-process it would read the BotService appsettings
/// copied into a service test's output, and bind the service's ports). Rate limits off; webhook retries from 100 ms.
/// </summary>
public sealed class SandboxProcess : IAsyncLifetime
{
    ServiceHost? host;
    HttpClient? http;

    public string BaseUrl => host?.HttpUrl ?? throw new InvalidOperationException("The sandbox is not started.");

    public SandboxClient Client { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        host = await ServiceHost.StartAsync("TelegramSandbox", new Dictionary<string, string?>
        {
            ["Sandbox:Limits:PerChatPerSecond"] = "0",
            ["Sandbox:Limits:PerGroupPerMinute"] = "0",
            ["Sandbox:Limits:GlobalPerSecond"] = "0",
            ["Sandbox:Webhook:RetryInitialSeconds"] = "0.1",
            ["Sandbox:Webhook:RetryMaxSeconds"] = "2",
            ["Sandbox:Webhook:TimeoutSeconds"] = "5",
        });
        http = new HttpClient { BaseAddress = new Uri(BaseUrl), Timeout = TimeSpan.FromSeconds(60) };
        Client = new SandboxClient(http);
    }

    public async ValueTask DisposeAsync()
    {
        http?.Dispose();
        if (host is not null)
        {
            await host.DisposeAsync();
        }
    }
}
