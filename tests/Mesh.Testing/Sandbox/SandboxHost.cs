using Mesh.TelegramSandbox.Bots;
using Mesh.TelegramSandbox.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Mesh.Testing.Sandbox;

/// <summary>
/// The Telegram sandbox running in-process on a free 127.0.0.1 port, for tests: point a bot at <see cref="BaseUrl"/>
/// with <see cref="BotToken"/> and drive users with <see cref="Client"/>. Use as a class or assembly fixture,
/// or start one with settings (<c>Sandbox:Limits:PerChatPerSecond</c>…) with <see cref="StartAsync(IReadOnlyDictionary{string, string?}, CancellationToken)"/>.
/// Rate limits are off unless the settings turn them on; webhook retries start at 100 ms.
/// </summary>
public class SandboxHost : IAsyncLifetime
{
    private readonly Dictionary<string, string?> settings = new()
    {
        ["Sandbox:Limits:PerChatPerSecond"] = "0",
        ["Sandbox:Limits:PerGroupPerMinute"] = "0",
        ["Sandbox:Limits:GlobalPerSecond"] = "0",
        ["Sandbox:Webhook:RetryInitialSeconds"] = "0.1",
        ["Sandbox:Webhook:RetryMaxSeconds"] = "2",
        ["Sandbox:Webhook:TimeoutSeconds"] = "5",
    };
    private TimeProvider? clock;
    private WebApplication? app;
    private HttpClient? http;

    public SandboxHost()
    {
    }

    /// <summary>Starts a host whose configuration overrides the defaults above (e.g. <c>["Sandbox:Sink"] = "true"</c>).</summary>
    public static Task<SandboxHost> StartAsync(IReadOnlyDictionary<string, string?> overrides, CancellationToken ct = default) =>
        StartAsync(overrides, null, ct);

    /// <summary>
    /// Starts a host whose clock is <paramref name="clock"/> (e.g. a <c>FakeTimeProvider</c> a test moves on): flood
    /// limits, callback query timeouts and dates follow it.
    /// </summary>
    public static async Task<SandboxHost> StartAsync(IReadOnlyDictionary<string, string?> overrides, TimeProvider? clock, CancellationToken ct = default)
    {
        var host = new SandboxHost { clock = clock };
        foreach (var (key, value) in overrides) host.settings[key] = value;
        try
        {
            await host.StartAsync(ct);
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
        return host;
    }

    /// <summary>The sandbox's origin, e.g. <c>http://127.0.0.1:41234</c> (no trailing slash): the Bot API base URL.</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>The web chat page.</summary>
    public string ChatUrl => BaseUrl + Mesh.TelegramSandbox.Chat.ChatPage.Path;

    /// <summary>A random well-formed token of this host's default bot (created on first use).</summary>
    public string BotToken { get; } = Mesh.TelegramSandbox.Bots.BotToken.NewRandom();

    public SandboxClient Client { get; private set; } = null!;

    public IServiceProvider Services => app?.Services ?? throw new InvalidOperationException("The sandbox is not started.");

    /// <summary>A fresh random bot token, for a test that wants a bot of its own.</summary>
    public static string NewBotToken() => Mesh.TelegramSandbox.Bots.BotToken.NewRandom();

    public async Task StartAsync(CancellationToken ct = default)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = Environments.Development,
            ApplicationName = typeof(BotRegistry).Assembly.GetName().Name,
        });
        // The test's output folder holds the appsettings.json of whatever service the test project references (its
        // Kestrel endpoints included): the sandbox reads only the settings given here.
        foreach (var json in builder.Configuration.Sources.OfType<Microsoft.Extensions.Configuration.Json.JsonConfigurationSource>().ToList())
        {
            builder.Configuration.Sources.Remove(json);
        }
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Configuration["Kestrel:Endpoints:http:Url"] = "http://127.0.0.1:0";
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddTelegramSandbox();
        if (clock is not null) builder.Services.AddSingleton(clock);
        app = builder.Build();
        app.MapTelegramSandbox();
        await app.StartAsync(ct);
        BaseUrl = app.Urls.First().TrimEnd('/');
        http = new HttpClient { BaseAddress = new Uri(BaseUrl), Timeout = TimeSpan.FromSeconds(60) };
        Client = new SandboxClient(http);
    }

    public async ValueTask InitializeAsync() => await StartAsync();

    public async ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        http?.Dispose();
        if (app is not null)
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }
    }
}
