using System.Diagnostics;
using Mesh.Bot.Conversations;
using Mesh.Bot.Telegram;
using Mesh.Bot.Updates;
using Mesh.Testing;
using Mesh.Testing.Sandbox;
using Microsoft.Extensions.Logging.Abstractions;
using Telegram.Bot;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;

namespace Mesh.Bot.Tests.Integration;

/// <summary>
/// The bot's username, learnt with getMe from the sandbox as Telegram: once at start, then known without a call, and
/// what the dispatcher does with it in a group (group updates built here, for the dispatcher alone; a bot in a group of
/// the sandbox: <see cref="Conversations.GroupChatTests"/>).
/// </summary>
public sealed class BotIdentityTests : IAsyncLifetime
{
    readonly string token = SandboxHost.NewBotToken();
    readonly HttpClient http = new();
    SandboxHost sandbox = null!;

    static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => sandbox = await SandboxHost.StartAsync(new Dictionary<string, string?>(), Ct);

    public async ValueTask DisposeAsync()
    {
        http.Dispose();
        await sandbox.DisposeAsync();
    }

    BotIdentity NewIdentity() =>
        new(new TelegramBotClient(new TelegramBotClientOptions(token, sandbox.BaseUrl) { RetryCount = 0 }, http), TimeProvider.System, NullLogger<BotIdentity>.Instance);

    async Task<string> SandboxUsernameAsync() => (await sandbox.Client.RegisterBotAsync(token, Ct)).Username;

    [Fact]
    public async Task Username_is_learnt_once_at_start_and_commands_are_told_apart_by_it_without_another_call()
    {
        var username = await SandboxUsernameAsync();
        var identity = NewIdentity();

        await identity.StartAsync(Ct);

        Assert.Equal(username, identity.Username);
        for (var i = 0; i < 100; i++)
        {
            Assert.True(identity.IsAnotherBots("/start@OtherBot"));
            Assert.True(identity.IsAnotherBots("/help@OtherBot more words"));
            Assert.True(identity.IsAnotherBots("/frobnicate@OtherBot\nmore lines"));
            Assert.False(identity.IsAnotherBots("/start@" + username));
            Assert.False(identity.IsAnotherBots("/start@" + username.ToUpperInvariant() + " payload"));
            Assert.False(identity.IsAnotherBots("/start"));
            Assert.False(identity.IsAnotherBots("/start payload@OtherBot")); // the @ of the payload, not of the command
            Assert.False(identity.IsAnotherBots("mail me at ada@example.org"));
            Assert.False(identity.IsAnotherBots(null));
        }
        Assert.Equal(1, (await sandbox.Client.GetCallsAsync(token, Ct)).Of("getMe"));
        await identity.StopAsync(Ct);
    }

    [Fact]
    public async Task Start_with_getMe_failing_goes_on_taking_every_command_as_its_own_and_learns_the_username_once_Telegram_answers()
    {
        var username = await SandboxUsernameAsync();
        await sandbox.Client.SetFaultAsync(500, TimeSpan.FromSeconds(2), ct: Ct);
        var identity = NewIdentity();

        var started = Stopwatch.StartNew();
        await identity.StartAsync(Ct);

        Assert.True(started.Elapsed < BotIdentity.FirstTryTimeout, $"the start waited {started.Elapsed} for a getMe that failed");
        Assert.Null(identity.Username);
        Assert.False(identity.IsAnotherBots("/start@OtherBot")); // not known yet: taken as this bot's, as before
        await Until.TrueAsync(() => identity.Username == username, TimeSpan.FromSeconds(20), "getMe to be tried again once the fault is over");
        Assert.True(identity.IsAnotherBots("/start@OtherBot"));
        await identity.StopAsync(Ct);
    }

    [Fact]
    public async Task In_a_group_a_command_addressed_to_another_bot_goes_to_no_route_and_one_addressed_to_this_bot_does()
    {
        var username = await SandboxUsernameAsync();
        var identity = NewIdentity();
        await identity.StartAsync(Ct);
        var handled = new List<string>();
        var router = new BotRouter();
        router.Command("start", ctx => { handled.Add(ctx.Text!); return Task.CompletedTask; });
        // Nothing else of the dispatcher is reached for a message that a route takes or that is another bot's.
        var dispatcher = new BotDispatcher(router, null!, null!, identity);

        foreach (var text in new[] { "/start@OtherBot", $"/start@{username}", "/start", $"/START@{username.ToUpperInvariant()} x" })
        {
            var ctx = GroupMessage(text);
            await dispatcher.InvokeAsync(ctx, () => throw new InvalidOperationException("a message is not passed on"));
            Assert.Equal(text == "/start@OtherBot" ? "another bot's command" : "/start", ctx.RouteName);
        }

        Assert.Equal([$"/start@{username}", "/start", $"/START@{username.ToUpperInvariant()} x"], handled);
        await identity.StopAsync(Ct);
    }

    static BotContext GroupMessage(string text)
    {
        var group = new Chat { Id = -1001234567890, Type = ChatType.Supergroup, Title = "Team" };
        var update = new Update { Id = 1, Message = new Message { Id = 1, Text = text, Chat = group, From = new User { Id = 7, FirstName = "Ada" } } };
        var ctx = new BotContext(update, group.Id, null!, null!, CancellationToken.None);
        ctx.Flow = new ConversationFlow(null!, group.Id, 7, new ConversationState(null, null, 1, null));
        return ctx;
    }
}
