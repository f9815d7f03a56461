using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Mesh.Testing.Sandbox;
using Mesh.TelegramSandbox.BotApi;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Testing.Services;

/// <summary>
/// The update path for tests, every part real and separate: the Telegram sandbox in-process (its sink mode when asked),
/// one or more BotService processes and a Gateway process, over a Redis given by the caller with a key prefix of their
/// own. Post updates as Telegram does with <see cref="PostUpdateAsync"/>; read what the bot sent on <see cref="Telegram"/>
/// (<see cref="SandboxHost.Client"/>), or in sink mode count it with <see cref="DeliveredCount"/>.
/// </summary>
public sealed class UpdatePathHost : IAsyncDisposable
{
    public const string Secret = "test-webhook-secret";

    readonly List<ServiceHost> bots = [];
    readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(30) };
    readonly SinkCounter sinkCounter;

    UpdatePathHost(SandboxHost telegram, string redis, string keyPrefix, IReadOnlyDictionary<string, string?> botSettings, string environment)
    {
        Environment = environment;
        Telegram = telegram;
        sinkCounter = telegram.Services.GetRequiredService<SinkCounter>();
        Redis = redis;
        KeyPrefix = keyPrefix;
        BotSettings = botSettings;
    }

    /// <summary>The Telegram sandbox the bot talks to.</summary>
    public SandboxHost Telegram { get; }

    /// <summary>The bot's token at the sandbox.</summary>
    public string BotToken => Telegram.BotToken;

    /// <summary>
    /// sendMessage calls the sandbox answered in sink mode (<c>Sandbox:Sink=true</c>), read in-process: cheap enough to
    /// poll in a benchmark's loop. Always 0 in normal mode, where <see cref="SandboxHost.Client"/> shows the chats.
    /// </summary>
    public long DeliveredCount => sinkCounter.Count;

    public string Redis { get; }

    public string KeyPrefix { get; }

    IReadOnlyDictionary<string, string?> BotSettings { get; }

    /// <summary>The ASP.NET Core environment the services run in (Development unless the caller says otherwise).</summary>
    public string Environment { get; }

    public ServiceHost Gateway { get; private set; } = null!;

    public IReadOnlyList<ServiceHost> Bots => bots;

    public string WebhookUrl => Gateway.HttpUrl + "/telegram/webhook";

    /// <summary>Starts the sandbox (only counting sendMessage if <paramref name="sink"/>), one bot and the gateway. <paramref name="botSettings"/> override the test defaults (no rate limits, 2 s lease).</summary>
    /// <param name="telegramFront">Given the sandbox's base URL, starts what stands in front of it (a benchmark's sink
    /// proxy) and returns the base URL the bots are to call instead.</param>
    public static async Task<UpdatePathHost> StartAsync(string redisConnectionString, string keyPrefix,
        IReadOnlyDictionary<string, string?>? botSettings = null, bool sink = false, int bots = 1, string environment = "Development",
        IReadOnlyDictionary<string, string?>? gatewaySettings = null, Func<string, Task<string>>? telegramFront = null)
    {
        var telegram = await SandboxHost.StartAsync(sink
            ? new Dictionary<string, string?> { ["Sandbox:Sink"] = "true" }
            : new Dictionary<string, string?>());
        string apiBaseUrl;
        try
        {
            apiBaseUrl = telegramFront is null ? telegram.BaseUrl : await telegramFront(telegram.BaseUrl);
        }
        catch
        {
            await telegram.DisposeAsync();
            throw;
        }
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = redisConnectionString,
            ["Telegram:BotToken"] = telegram.BotToken,
            ["Telegram:ApiBaseUrl"] = apiBaseUrl,
            ["Telegram:PerChatPerSecond"] = "0",
            ["Telegram:GlobalPerSecond"] = "0",
            ["Telegram:SendRetryDelay"] = "00:00:00.100",
            ["Bot:RedisKeyPrefix"] = keyPrefix,
            ["Bot:LeaseDuration"] = "00:00:02",
            ["Bot:RetryDelay"] = "00:00:00.100",
            ["Bot:MaxAttempts"] = "3",
            ["Bot:IdlePollInterval"] = "00:00:00.500",
        };
        foreach (var (key, value) in botSettings ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
        var host = new UpdatePathHost(telegram, redisConnectionString, keyPrefix, settings, environment);
        try
        {
            for (var i = 0; i < bots; i++)
            {
                await host.StartBotAsync();
            }
            await host.StartGatewayAsync(host.bots[0], gatewaySettings);
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>Another BotService replica on the same Redis and prefix (optionally with other settings).</summary>
    public async Task<ServiceHost> StartBotAsync(IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var settings = new Dictionary<string, string?>(BotSettings);
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
        var bot = await ServiceHost.StartAsync("BotService", settings, grpc: true, Environment);
        bots.Add(bot);
        return bot;
    }

    async Task StartGatewayAsync(ServiceHost bot, IReadOnlyDictionary<string, string?>? overrides)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Telegram:WebhookSecret"] = Secret,
            ["services:bot:grpc:0"] = bot.GrpcUrl,
            ["services:bot:http:0"] = bot.HttpUrl,
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
        Gateway = await ServiceHost.StartAsync("Gateway", settings, environment: Environment);
    }

    /// <summary>A Telegram text message update from a private chat whose id is the user's id.</summary>
    public static string TextUpdate(long updateId, long userId, string text, string firstName = "Ada") =>
        JsonSerializer.Serialize(new
        {
            update_id = updateId,
            message = new
            {
                message_id = updateId,
                from = new { id = userId, is_bot = false, first_name = firstName, language_code = "en" },
                chat = new { id = userId, type = "private", first_name = firstName },
                date = 1700000000,
                text,
            },
        });

    public Task<HttpStatusCode> PostUpdateAsync(string json, string? secret = Secret) =>
        PostAsync(new StringContent(json, Encoding.UTF8, "application/json"), secret);

    public async Task<HttpStatusCode> PostAsync(HttpContent content, string? secret = Secret)
    {
        using var response = await SendAsync(content, secret);
        return response.StatusCode;
    }

    /// <summary>POSTs <paramref name="content"/> to the webhook with the secret header (none when null); the whole answer.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpContent content, string? secret = Secret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, WebhookUrl) { Content = content };
        if (secret is not null)
        {
            request.Headers.Add("X-Telegram-Bot-Api-Secret-Token", secret);
        }
        return await http.SendAsync(request);
    }

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
        await Telegram.DisposeAsync();
        http.Dispose();
    }
}
