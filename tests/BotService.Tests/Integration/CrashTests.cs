using Mesh.Testing;
using Mesh.Testing.Services;

namespace Mesh.Bot.Tests.Integration;

/// <summary>
/// A BotService process dies with an update accepted but not yet answered: the user still gets one answer. And the
/// other side of leases: a replica still handling an update past its lease keeps the chat (it renews the lease).
/// </summary>
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

    [Fact]
    public async Task Update_handled_for_longer_than_a_lease_is_answered_once_with_two_replicas_running()
    {
        await using var mesh = await SandboxMesh.StartAsync(redis.ConnectionString, RedisServerFixture.NewKeyPrefix("slow"), gateway: true);
        await mesh.StartBotAsync(); // a second replica, ready to take over any chat whose 2 s lease runs out
        var user = SandboxMesh.NewUser();
        var help = await mesh.SendAsync(user, "/help", Ct);
        await mesh.WaitForReplyAsync(user.Id, "/start", help, Ct);
        // Telegram answers the greeting with 429 and retry_after 4 s: the handler takes 4 s, two leases' worth.
        var retryAfter = TimeSpan.FromSeconds(4);
        await mesh.Client.SetFaultAsync(429, TimeSpan.FromSeconds(1.5), (int)retryAfter.TotalSeconds, Ct);
        var elapsed = System.Diagnostics.Stopwatch.StartNew();

        var sent = await mesh.SendAsync(user, "/start", Ct);
        await mesh.WaitForReplyAsync(user.Id, "Hello,", sent, Ct);
        Assert.True(elapsed.Elapsed >= retryAfter, $"answered after {elapsed.Elapsed}: the 429 was not waited for");

        // A later update of the chat marks the end: had the lease run out, another worker would have greeted too by now.
        var last = await mesh.SendAsync(user, "/frobnicate", Ct);
        await mesh.WaitForReplyAsync(user.Id, "don't know", last, Ct);
        var messages = await mesh.Client.GetBotMessagesAsync(mesh.Token, user.Id, Ct);
        Assert.Single(messages, m => m.Text.StartsWith("Hello,", StringComparison.Ordinal));
        Assert.Equal(3, messages.Count);
    }
}
