using Mesh.Testing;
using Mesh.Testing.Services;

namespace Mesh.Bot.Tests.Integration;

/// <summary>A BotService process dies with an update accepted but not yet answered: the user still gets one answer.</summary>
public sealed class CrashTests(RedisServerFixture redis)
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Update_of_a_bot_killed_while_handling_it_is_answered_once_by_another_replica()
    {
        await using var mesh = await SandboxMesh.StartAsync(redis.ConnectionString, RedisServerFixture.NewKeyPrefix("crash"), gateway: true);
        var user = SandboxMesh.NewUser();
        var help = await mesh.SendAsync(user, "/help", Ct);
        await mesh.WaitForReplyAsync(user.Id, "/start", help, Ct);
        var first = mesh.Bot;
        // Telegram answers 429 with a long retry_after: the bot accepts /start and starts handling it, then waits.
        await mesh.Client.SetFaultAsync(429, TimeSpan.FromSeconds(60), retryAfterSeconds: 30, Ct);
        int sent;
        try
        {
            sent = await mesh.SendAsync(user, "/start", Ct);
            await Until.TrueAsync(() => first.Output.Contains($"rate-limited sending to chat {user.Id}", StringComparison.Ordinal),
                SandboxMesh.Deadline, "the first bot to be mid-handling");
            first.Kill();
        }
        finally
        {
            await mesh.Client.ClearFaultAsync(Ct);
        }

        await mesh.StartBotAsync(); // takes the chat over when the dead bot's 2 s lease expires

        await mesh.WaitForReplyAsync(user.Id, "Hello,", sent, Ct);
        var db = redis.Connection.GetDatabase();
        await Until.TrueAsync(() => !db.KeyExists(mesh.KeyPrefix + "q:" + user.Id), SandboxMesh.Deadline, "the chat's queue to drain");
        var messages = await mesh.Client.GetBotMessagesAsync(mesh.Token, user.Id, Ct);
        Assert.Single(messages, m => m.Text.StartsWith("Hello,", StringComparison.Ordinal));
        Assert.Equal(2, messages.Count); // the /help answer and one greeting
        Assert.Equal(0, (long)await db.StringGetAsync(mesh.KeyPrefix + "depth"));
    }
}
