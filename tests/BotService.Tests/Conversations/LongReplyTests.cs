using Mesh.Bot.Telegram;
using Mesh.Testing;
using Mesh.Testing.Sandbox;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Telegram.Bot;
using Telegram.Bot.Types.Enums;

namespace Mesh.Bot.Tests.Conversations;

/// <summary>The sender against the sandbox: a reply over Telegram's 4,096 characters becomes several messages.</summary>
public sealed class LongReplyTests(RedisServerFixture redis) : IAsyncLifetime
{
    readonly HttpClient http = new();
    SandboxHost sandbox = null!;

    public async ValueTask InitializeAsync() => sandbox = await SandboxBotHost.StartSandboxAsync();

    public async ValueTask DisposeAsync()
    {
        http.Dispose();
        await sandbox.DisposeAsync();
    }

    [Fact]
    public async Task Reply_of_6000_characters_arrives_as_two_messages_split_at_a_line_boundary()
    {
        var ct = TestContext.Current.CancellationToken;
        var user = SandboxBotHost.NewUser();
        await sandbox.Client.SendTextAsync(sandbox.BotToken, user, "hi", ct); // the chat exists once the user wrote
        var lines = Enumerable.Range(0, 60).Select(i => $"{i:D2} " + new string('x', 96)); // 60 lines of 99 characters
        var text = string.Join('\n', lines);
        Assert.Equal(5999, text.Length);

        var sent = await NewSender().SendAsync(user.Id, text, null, ParseMode.Html, ct);

        Assert.Equal(SendOutcome.Sent, sent.Outcome);
        var chat = await sandbox.Client.WaitForAsync(sandbox.BotToken, user.Id,
            state => state.Messages.Count(m => m.FromBot) == 2 ? state : null, SandboxBotHost.Deadline, ct);
        var parts = chat.Messages.Where(m => m.FromBot).Select(m => m.Text).ToList();
        Assert.True(parts[0].Length <= 4096);
        Assert.Equal(40 * 100 - 1, parts[0].Length); // 40 whole lines: a 41st would pass 4,096
        Assert.StartsWith("40 ", parts[1]);
        Assert.Equal(text, parts[0] + "\n" + parts[1]);
    }

    OutboundSender NewSender() =>
        SandboxSender.Create(sandbox, sandbox.BotToken, http, redis.Connection, RedisServerFixture.NewKeyPrefix("longreply"));
}
