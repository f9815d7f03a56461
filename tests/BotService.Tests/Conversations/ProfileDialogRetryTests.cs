using Mesh.Testing;

namespace Mesh.Bot.Tests.Conversations;

/// <summary>
/// The profile dialog when Telegram fails the bot's question: the update is tried again and must find the user at the
/// step the failed try found them at. The bot runs behind the gateway, so the sandbox's fault (every Bot API call answers
/// 500) leaves the user's messages coming in.
/// </summary>
public sealed class ProfileDialogRetryTests(RedisServerFixture redis) : IAsyncLifetime
{
    SandboxBotHost host = null!;

    public async ValueTask InitializeAsync() =>
        host = await SandboxBotHost.StartAsync(redis.ConnectionString, RedisServerFixture.NewKeyPrefix("profileretry"), webhook: true);

    public async ValueTask DisposeAsync() => await host.DisposeAsync();

    [Fact]
    public async Task Answer_whose_next_question_fails_to_send_is_taken_again_at_the_same_step()
    {
        var ct = TestContext.Current.CancellationToken;
        var user = SandboxBotHost.NewUser();
        var menu = await host.WaitForAsync(user, "Your profile", await host.SendAsync(user, "/profile"));
        await host.PressAsync(user, menu, "✏️ Fill in");
        await host.WaitForAsync(user, "Step 1 of 4", menu.MessageId);

        // Telegram down for longer than the sender's five tries (0.1 + 0.2 + 0.4 + 0.8 s apart): the first try of the
        // update fails, and it is tried again (Bot:MaxAttempts = 3) once Telegram is back.
        await host.Client.SetFaultAsync(500, TimeSpan.FromSeconds(2.5), ct: ct);
        var sent = await host.SendAsync(user, "Ada Lovelace");

        await host.WaitForAsync(user, "Step 2 of 4", sent);
        sent = await host.SendAsync(user, "London");
        await host.WaitForAsync(user, "Step 3 of 4", sent);
        sent = await host.SendAsync(user, "Mathematician");
        var confirm = await host.WaitForAsync(user, "Step 4 of 4", sent);
        Assert.Contains("Name: Ada Lovelace\nCity: London\nAbout: Mathematician", confirm.Text);
        // The retry was exercised: the first try failed (on a machine slow enough to let the fault pass first, this says so).
        Assert.Contains("failed (try 1); it will be tried again", host.Bot.Output, StringComparison.Ordinal);
        var asked = (await host.Client.GetBotMessagesAsync(host.Token, user.Id, ct)).Select(m => m.Text).ToList();
        Assert.Single(asked, t => t.Contains("Step 2 of 4", StringComparison.Ordinal));
        Assert.Single(asked, t => t.Contains("Step 3 of 4", StringComparison.Ordinal));
    }
}
