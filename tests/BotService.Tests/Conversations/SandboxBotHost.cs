using Mesh.Bot.Conversations;
using Mesh.Testing;
using Mesh.Testing.Sandbox;
using Mesh.Testing.Services;
using Mesh.TelegramSandbox.Client;

namespace Mesh.Bot.Tests.Conversations;

/// <summary>
/// The bot as users meet it: the Telegram sandbox in-process and a real BotService process polling it, on the shared
/// Redis with a key prefix of their own (hosted by <see cref="SandboxMesh"/>), with the conversation tests' helpers.
/// <see cref="RestartAsync"/> stops the bot and starts a new one on the same Redis.
/// </summary>
public sealed class SandboxBotHost : IAsyncDisposable
{
    public static readonly TimeSpan Deadline = SandboxMesh.Deadline;

    readonly SandboxMesh mesh;

    SandboxBotHost(SandboxMesh mesh) => this.mesh = mesh;

    public SandboxHost Sandbox => mesh.Sandbox;

    public SandboxClient Client => mesh.Client;

    public string Token => mesh.Token;

    public string KeyPrefix => mesh.KeyPrefix;

    public ServiceHost Bot => mesh.Bot;

    /// <summary>
    /// The bot polling the sandbox or, with <paramref name="webhook"/>, behind a gateway the sandbox delivers to (Bot API
    /// faults then leave delivery alone). <paramref name="sandboxSettings"/> override the sandbox's (<c>Sandbox:…</c>).
    /// </summary>
    public static async Task<SandboxBotHost> StartAsync(string redis, string keyPrefix, IReadOnlyDictionary<string, string?>? overrides = null, bool webhook = false,
        IReadOnlyDictionary<string, string?>? sandboxSettings = null) =>
        new(await SandboxMesh.StartAsync(redis, keyPrefix, gateway: webhook, overrides, sandboxSettings));

    /// <summary>The sandbox in-process on its own (for tests that drive the sender directly); rate limits off.</summary>
    public static Task<SandboxHost> StartSandboxAsync() =>
        SandboxHost.StartAsync(new Dictionary<string, string?>(), TestContext.Current.CancellationToken);

    /// <summary>Stops the bot (SIGTERM, as a deploy does) and starts a new process on the same Redis and prefix.</summary>
    public Task RestartAsync() => mesh.RestartBotAsync();

    public static SandboxUser NewUser(string firstName = "Ada", string languageCode = "en") => SandboxMesh.NewUser(firstName, languageCode);

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

    // The same in a group: the chat is the group's, the user one of its members.

    /// <summary>A new group of <paramref name="members"/> with the bot in it (the first added it); returns its id.</summary>
    public async Task<long> NewGroupAsync(params SandboxUser[] members) =>
        (await Client.CreateGroupAsync(Token, "Group " + Guid.NewGuid().ToString("N")[..6], members, ct: TestContext.Current.CancellationToken)).ChatId;

    /// <summary>The member writes <paramref name="text"/> in the group (as a reply to <paramref name="replyTo"/>); returns the id of their message.</summary>
    public async Task<int> SendAsync(long group, SandboxUser member, string text, int? replyTo = null) =>
        (await Client.SendTextAsync(Token, group, member, text, replyTo, TestContext.Current.CancellationToken)).MessageId;

    /// <summary>The first message of the bot in the group after <paramref name="after"/> whose text contains <paramref name="text"/> (edits count).</summary>
    public Task<SandboxChatMessage> WaitForAsync(long group, string text, int after = 0) =>
        Client.WaitForBotMessageAsync(Token, group, m => m.Text.Contains(text, StringComparison.Ordinal), Deadline, after, TestContext.Current.CancellationToken);

    /// <summary>The member presses the button labelled <paramref name="label"/> (its start) in the group and waits for the answer to the press.</summary>
    public async Task<SandboxCallbackAnswer> PressAsync(long group, SandboxUser member, SandboxChatMessage message, string label)
    {
        var pressed = await Client.PressButtonAsync(Token, group, member, message.MessageId, ButtonData(message, label), TestContext.Current.CancellationToken);
        return await Client.WaitForCallbackAnswerAsync(Token, group, pressed.CallbackQueryId, Deadline, TestContext.Current.CancellationToken);
    }

    /// <summary>The current version of a message of the group (after edits).</summary>
    public async Task<SandboxChatMessage> MessageAsync(long group, int messageId) =>
        (await Client.GetChatAsync(Token, group, ct: TestContext.Current.CancellationToken)).Messages.Single(m => m.MessageId == messageId);

    /// <summary>Waits until the message <paramref name="messageId"/> of the group satisfies <paramref name="condition"/>.</summary>
    public Task<SandboxChatMessage> WaitForMessageAsync(long group, int messageId, Func<SandboxChatMessage, bool> condition) =>
        Client.WaitForAsync(Token, group, state => state.Messages.FirstOrDefault(m => m.MessageId == messageId && condition(m)), Deadline, TestContext.Current.CancellationToken);

    /// <summary>The version of a menu's keyboard (a private chat's buttons, or a group's, which name their member).</summary>
    public static long VersionOf(SandboxChatMessage message) =>
        message.InlineKeyboard!.SelectMany(row => row)
            .Select(b => CallbackData.Unpack<MenuButton>(b.CallbackData) ?? CallbackData.Unpack<GroupMenuButton>(b.CallbackData)?.Button)
            .OfType<MenuButton>().First().Version;

    /// <summary>The member <paramref name="member"/> deletes their message <paramref name="messageId"/> of the group.</summary>
    public Task DeleteAsync(long group, SandboxUser member, int messageId) =>
        Client.DeleteMessageAsync(Token, group, member.Id, messageId, TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => mesh.DisposeAsync();
}

/// <summary>
/// A test class's one sandbox and bot (its class fixture: <c>sealed class Bot(RedisServerFixture redis) :
/// SandboxBotFixture(redis, "prefix")</c>), under keys of a prefix of its own and with the bot's <paramref name="settings"/>
/// over the host's, and the bot's name in the sandbox (<c>sandbox_…_bot</c>).
/// </summary>
public abstract class SandboxBotFixture(RedisServerFixture redis, string keyPrefix, IReadOnlyDictionary<string, string?>? settings = null) : IAsyncLifetime
{
    public SandboxBotHost Host { get; private set; } = null!;

    /// <summary>The sandbox's name of the bot (<c>sandbox_…_bot</c>).</summary>
    public string Username { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        Host = await SandboxBotHost.StartAsync(redis.ConnectionString, RedisServerFixture.NewKeyPrefix(keyPrefix), settings);
        var bots = await Host.Client.GetBotsAsync(TestContext.Current.CancellationToken);
        Username = bots.Single(b => Host.Token.StartsWith(b.Id + ":", StringComparison.Ordinal)).Username;
    }

    public async ValueTask DisposeAsync() => await Host.DisposeAsync();
}
