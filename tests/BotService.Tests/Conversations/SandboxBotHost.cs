using Mesh.Bot.Conversations;
using Mesh.Testing.Sandbox;
using Mesh.Testing.Services;
using Mesh.TelegramSandbox.Client;

namespace Mesh.Bot.Tests.Conversations;

/// <summary>
/// The bot as users meet it: the Telegram sandbox in-process and a real BotService process polling it, on the shared
/// Redis with a key prefix of its own. <see cref="RestartAsync"/> stops the bot and starts a new one on the same Redis.
/// </summary>
public sealed class SandboxBotHost : IAsyncDisposable
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    readonly Dictionary<string, string?> settings;

    SandboxBotHost(SandboxHost sandbox, Dictionary<string, string?> settings, string keyPrefix)
    {
        Sandbox = sandbox;
        this.settings = settings;
        KeyPrefix = keyPrefix;
    }

    public SandboxHost Sandbox { get; }

    public SandboxClient Client => Sandbox.Client;

    public string Token => Sandbox.BotToken;

    public string KeyPrefix { get; }

    public ServiceHost Bot { get; private set; } = null!;

    public static async Task<SandboxBotHost> StartAsync(string redis, string keyPrefix, IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var sandbox = await StartSandboxAsync();
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = redis,
            ["Telegram:BotToken"] = sandbox.BotToken,
            ["Telegram:ApiBaseUrl"] = sandbox.BaseUrl,
            ["Telegram:PerChatPerSecond"] = "0",
            ["Telegram:GlobalPerSecond"] = "0",
            ["Telegram:SendRetryDelay"] = "00:00:00.100",
            ["Telegram:PollingTimeout"] = "00:00:01",
            ["Telegram:PollingLease"] = "00:00:03",
            ["Bot:RedisKeyPrefix"] = keyPrefix,
            ["Bot:LeaseDuration"] = "00:00:02",
            ["Bot:RetryDelay"] = "00:00:00.100",
            ["Bot:MaxAttempts"] = "3",
            ["Bot:IdlePollInterval"] = "00:00:00.500",
            ["Bot:ReorderWindow"] = "00:00:00.050",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
        var host = new SandboxBotHost(sandbox, settings, keyPrefix);
        try
        {
            await host.StartBotAsync();
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The sandbox in-process. This project's output holds BotService's appsettings.json, whose Kestrel endpoints the
    /// sandbox would read too: both are moved to free ports and HTTP/1.1, so whichever comes first serves the Bot API.
    /// </summary>
    public static Task<SandboxHost> StartSandboxAsync() => SandboxHost.StartAsync(new Dictionary<string, string?>
    {
        ["Kestrel:Endpoints:grpc:Url"] = "http://127.0.0.1:0",
        ["Kestrel:Endpoints:grpc:Protocols"] = "Http1",
    }, TestContext.Current.CancellationToken);

    async Task StartBotAsync() => Bot = await ServiceHost.StartAsync("BotService", settings, grpc: true);

    /// <summary>Stops the bot (SIGTERM, as a deploy does) and starts a new process on the same Redis and prefix.</summary>
    public async Task RestartAsync()
    {
        await Bot.DisposeAsync();
        await StartBotAsync();
    }

    public static SandboxUser NewUser(string firstName = "Ada", string languageCode = "en") =>
        new(Random.Shared.NextInt64(1_000_000, 9_000_000_000), firstName, LanguageCode: languageCode);

    /// <summary>The user writes <paramref name="text"/>; returns the id of their message (wait for replies after it).</summary>
    public async Task<int> SendAsync(SandboxUser user, string text) =>
        (await Client.SendTextAsync(Token, user, text, TestContext.Current.CancellationToken)).MessageId;

    /// <summary>The first message of the bot after <paramref name="after"/> whose text contains <paramref name="text"/> (edits count).</summary>
    public Task<SandboxChatMessage> WaitForAsync(SandboxUser user, string text, int after = 0) =>
        Client.WaitForBotMessageAsync(Token, user.Id, m => m.Text.Contains(text, StringComparison.Ordinal), Deadline, after, TestContext.Current.CancellationToken);

    /// <summary>Presses the button labelled <paramref name="label"/> (its start) and waits for the answer to the press.</summary>
    public async Task<SandboxCallbackAnswer> PressAsync(SandboxUser user, SandboxChatMessage message, string label)
    {
        var data = ButtonData(message, label);
        var pressed = await Client.PressButtonAsync(Token, user, message.MessageId, data, TestContext.Current.CancellationToken);
        return await Client.WaitForCallbackAnswerAsync(Token, user.Id, pressed.CallbackQueryId, Deadline, TestContext.Current.CancellationToken);
    }

    public static string ButtonData(SandboxChatMessage message, string label)
    {
        var button = message.InlineKeyboard?.SelectMany(row => row).FirstOrDefault(b => b.Text.StartsWith(label, StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"No button '{label}' under message {message.MessageId}: {message.Text}");
        return button.CallbackData!;
    }

    /// <summary>The current version of a message (after edits).</summary>
    public async Task<SandboxChatMessage> MessageAsync(SandboxUser user, int messageId) =>
        (await Client.GetChatAsync(Token, user.Id, ct: TestContext.Current.CancellationToken)).Messages.Single(m => m.MessageId == messageId);

    /// <summary>Waits until the message <paramref name="messageId"/> satisfies <paramref name="condition"/> (e.g. was edited).</summary>
    public Task<SandboxChatMessage> WaitForMessageAsync(SandboxUser user, int messageId, Func<SandboxChatMessage, bool> condition) =>
        Client.WaitForAsync(Token, user.Id, state => state.Messages.FirstOrDefault(m => m.MessageId == messageId && condition(m)), Deadline, TestContext.Current.CancellationToken);

    public static long VersionOf(SandboxChatMessage message) =>
        message.InlineKeyboard!.SelectMany(row => row).Select(b => CallbackData.Unpack<MenuButton>(b.CallbackData)).OfType<MenuButton>().First().Version;

    public async ValueTask DisposeAsync()
    {
        if (Bot is not null)
        {
            await Bot.DisposeAsync();
        }
        await Sandbox.DisposeAsync();
    }
}
