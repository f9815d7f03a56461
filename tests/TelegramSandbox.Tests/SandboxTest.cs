using Mesh.Testing.Sandbox;
using Mesh.TelegramSandbox.Client;
using Telegram.Bot;

[assembly: AssemblyFixture(typeof(SandboxHost))]

namespace Mesh.TelegramSandbox.Tests;

/// <summary>Each test gets a bot of its own on the shared sandbox, so tests never share state.</summary>
public abstract class SandboxTest(SandboxHost sandbox)
{
    protected static readonly SandboxUser Alice = new(1001, "Alice", LanguageCode: "en");
    protected static readonly SandboxUser Boris = new(1002, "Boris", LanguageCode: "ru");

    protected SandboxHost Sandbox { get; } = sandbox;
    protected string Token { get; } = SandboxHost.NewBotToken();
    protected SandboxClient Client => Sandbox.Client;
    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    private TelegramBotClient? bot;
    protected TelegramBotClient Bot => bot ??= NewBot(Sandbox, Token);

    /// <summary>A real Telegram.Bot client against the sandbox, with its automatic 429 retry off.</summary>
    public static TelegramBotClient NewBot(SandboxHost host, string token) =>
        new(new TelegramBotClientOptions(token, host.BaseUrl) { RetryThreshold = 0 });
}
