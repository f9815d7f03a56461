using System.Net;
using System.Text;
using System.Text.Json;
using Mesh.Testing.Sandbox;
using Mesh.TelegramSandbox.Client;

namespace Mesh.Testing.Services;

/// <summary>
/// BotService as users meet it, with the Telegram sandbox (in-process) as Telegram, every service a real process on the
/// Redis given by the caller with a key prefix of their own. With <c>gateway: true</c> the bot runs in webhook mode
/// behind a Gateway process and the sandbox delivers updates to the gateway's webhook with the secret header, as
/// Telegram does; otherwise the bot polls the sandbox. Users act through <see cref="Client"/>; a test that plays Telegram
/// itself (re-deliveries, concurrent deliveries) posts raw updates with <see cref="PostUpdateAsync"/>.
/// </summary>
public sealed class SandboxMesh : IAsyncDisposable
{
    public const string Secret = "test-webhook-secret";

    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    // Above every update_id the sandbox hands out (it starts between 1e8 and 9e8), within Telegram's 32-bit range.
    static long nextUpdateId = 1_900_000_000;

    readonly Dictionary<string, string?> botSettings;
    readonly List<ServiceHost> bots = [];
    readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(30) };

    SandboxMesh(SandboxHost sandbox, Dictionary<string, string?> botSettings, string keyPrefix)
    {
        Sandbox = sandbox;
        this.botSettings = botSettings;
        KeyPrefix = keyPrefix;
    }

    public SandboxHost Sandbox { get; }

    public SandboxClient Client => Sandbox.Client;

    /// <summary>The bot's token in the sandbox.</summary>
    public string Token => Sandbox.BotToken;

    public string KeyPrefix { get; }

    /// <summary>The gateway, in webhook mode; null when the bot polls.</summary>
    public ServiceHost? Gateway { get; private set; }

    public IReadOnlyList<ServiceHost> Bots => bots;

    /// <summary>The newest bot replica.</summary>
    public ServiceHost Bot => bots[^1];

    public string WebhookUrl => (Gateway ?? throw new InvalidOperationException("No gateway: the bot polls.")).HttpUrl + "/telegram/webhook";

    /// <summary>
    /// Starts the sandbox (its limits off unless <paramref name="sandboxSettings"/> say otherwise), one bot and, with
    /// <paramref name="gateway"/>, the gateway with the sandbox's webhook pointed at it. <paramref name="botSettings"/>
    /// override the test defaults (no rate limits of the bot's own, 2 s lease, 3 tries, 50 ms reorder window).
    /// </summary>
    public static async Task<SandboxMesh> StartAsync(string redis, string keyPrefix, bool gateway,
        IReadOnlyDictionary<string, string?>? botSettings = null, IReadOnlyDictionary<string, string?>? sandboxSettings = null)
    {
        var sandbox = await SandboxHost.StartAsync(sandboxSettings ?? new Dictionary<string, string?>());
        var gatewayPort = gateway ? ServerProcess.FreePort() : (int?)null;
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = redis,
            ["Telegram:BotToken"] = sandbox.BotToken,
            ["Telegram:ApiBaseUrl"] = sandbox.BaseUrl,
            // Webhook mode: the bot sets the sandbox's webhook to the gateway (PublicUrl + /telegram/webhook) at start.
            ["Telegram:PublicUrl"] = gatewayPort is { } port ? $"http://127.0.0.1:{port}" : "",
            ["Telegram:WebhookSecret"] = gateway ? Secret : "",
            ["Telegram:PerChatPerSecond"] = "0",
            ["Telegram:PerGroupPerMinute"] = "0",
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
        foreach (var (key, value) in botSettings ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
        var mesh = new SandboxMesh(sandbox, settings, keyPrefix);
        try
        {
            var bot = await mesh.StartBotAsync();
            if (gatewayPort is { } httpPort)
            {
                mesh.Gateway = await ServiceHost.StartAsync("Gateway", new Dictionary<string, string?>
                {
                    ["Telegram:WebhookSecret"] = Secret,
                    ["services:bot:grpc:0"] = bot.GrpcUrl,
                    ["services:bot:http:0"] = bot.HttpUrl,
                }, httpPort: httpPort);
                await mesh.WaitForWebhookAsync();
            }
            return mesh;
        }
        catch
        {
            await mesh.DisposeAsync();
            throw;
        }
    }

    async Task WaitForWebhookAsync()
    {
        try
        {
            await Until.TrueAsync(async () => (await Client.GetBotsAsync()).FirstOrDefault(b => Token.StartsWith(b.Id + ":", StringComparison.Ordinal))?.WebhookUrl == WebhookUrl,
                Deadline, $"the bot to set the sandbox's webhook to {WebhookUrl}");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}:\n{Bot.Output}", e);
        }
    }

    /// <summary>Another BotService replica on the same Redis, prefix and sandbox (optionally with other settings).</summary>
    public async Task<ServiceHost> StartBotAsync(IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var settings = new Dictionary<string, string?>(botSettings);
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
        var bot = await ServiceHost.StartAsync("BotService", settings, grpc: true);
        bots.Add(bot);
        return bot;
    }

    /// <summary>Stops every bot (SIGTERM, as a deploy does) and starts a new one on the same Redis and prefix.</summary>
    public async Task RestartBotAsync()
    {
        foreach (var bot in bots)
        {
            await bot.DisposeAsync();
        }
        bots.Clear();
        await StartBotAsync();
    }

    /// <summary>A new sandbox user (private chat id = user id) not seen by any other test.</summary>
    public static SandboxUser NewUser(string firstName = "Ada", string languageCode = "en") =>
        new(Random.Shared.NextInt64(1_000_000, 9_000_000_000), firstName, LanguageCode: languageCode);

    /// <summary>An update_id no other update of this test run has, above the sandbox's own.</summary>
    public static long NewUpdateId() => Interlocked.Increment(ref nextUpdateId);

    /// <summary>A Telegram text message update from a private chat whose id is the user's id.</summary>
    public static string TextUpdate(long updateId, long userId, string text, string firstName = "Ada") =>
        JsonSerializer.Serialize(new
        {
            update_id = updateId,
            message = new
            {
                message_id = (int)(updateId % 1_000_000_000),
                from = new { id = userId, is_bot = false, first_name = firstName, language_code = "en" },
                chat = new { id = userId, type = "private", first_name = firstName },
                date = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                text,
            },
        });

    /// <summary>Posts an update to the gateway's webhook as Telegram does (with the secret header); returns the status.</summary>
    public async Task<HttpStatusCode> PostUpdateAsync(string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, WebhookUrl) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Telegram-Bot-Api-Secret-Token", Secret);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>The user writes <paramref name="text"/> in the sandbox; returns the id of their message (wait for replies after it).</summary>
    public async Task<int> SendAsync(SandboxUser user, string text, CancellationToken ct = default) =>
        (await Client.SendTextAsync(Token, user, text, ct)).MessageId;

    /// <summary>The bot's first message after <paramref name="after"/> whose text contains <paramref name="text"/>.</summary>
    public Task<SandboxChatMessage> WaitForReplyAsync(long chatId, string text, int after = 0, CancellationToken ct = default) =>
        Client.WaitForBotMessageAsync(Token, chatId, m => m.Text.Contains(text, StringComparison.Ordinal), Deadline, after, ct);

    public async ValueTask DisposeAsync()
    {
        if (Gateway is not null)
        {
            await Gateway.DisposeAsync();
        }
        foreach (var bot in bots)
        {
            await bot.DisposeAsync();
        }
        await Sandbox.DisposeAsync();
        http.Dispose();
    }
}
