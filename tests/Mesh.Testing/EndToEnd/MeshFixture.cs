using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Mesh.TelegramSandbox.Client;
using Xunit;

namespace Mesh.Testing.EndToEnd;

/// <summary>
/// The whole mesh as a developer runs it — the AppHost's own declaration, the sandbox playing Telegram, the Aspire
/// dashboard with anonymous access — started once for a test collection. Users are driven through <see cref="Sandbox"/>.
/// </summary>
public class MeshFixture : IAsyncLifetime
{
    MeshAppHost? mesh;

    public MeshAppHost Mesh => mesh ?? throw new InvalidOperationException("The mesh is not started");

    /// <summary>The sandbox's control API: act as users, read what the bot sent.</summary>
    public SandboxClient Sandbox { get; private set; } = null!;

    public string BotToken => TelegramApi.SandboxBotToken;

    /// <summary>The dashboard's URL; it signs the browser in.</summary>
    public string DashboardUrl { get; private set; } = "";

    /// <summary>The dashboard's origin, for its pages and its telemetry API (after the browser signed in).</summary>
    public string DashboardOrigin => new Uri(DashboardUrl).GetLeftPart(UriPartial.Authority);

    /// <summary>Key for the dashboard's telemetry API (<c>x-api-key</c>), which answers JSON about spans and logs.</summary>
    public string DashboardApiKey { get; } = Guid.NewGuid().ToString("N");

    /// <summary>Extra AppHost configuration a derived fixture wants.</summary>
    protected virtual IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>();

    public async ValueTask InitializeAsync()
    {
        var settings = new Dictionary<string, string>(Settings) { ["AppHost:DashboardApiKey"] = DashboardApiKey };
        mesh = await MeshAppHost.StartAsync(MeshAppHost.NewDataPath(), settings, withDashboard: true);
        using var dashboardTimeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        DashboardUrl = (await mesh.App.GetDashboardUrlAsync(dashboardTimeout.Token)).ToString();
        await mesh.WaitForAllHealthyAsync(TimeSpan.FromMinutes(3));
        var http = mesh.App.CreateHttpClient("telegram", "http");
        http.Timeout = TimeSpan.FromSeconds(60);
        Sandbox = new SandboxClient(http);
    }

    public async ValueTask DisposeAsync()
    {
        if (mesh is not null)
        {
            await mesh.DisposeAsync();
            if (Directory.Exists(mesh.DataPath))
            {
                Directory.Delete(mesh.DataPath, recursive: true);
            }
        }
    }
}
