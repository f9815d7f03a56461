using Mesh.Testing;

namespace Mesh.Bot.Tests.Conversations;

/// <summary>The four-step profile dialog through the sandbox, with the bot restarted in the middle.</summary>
public sealed class ProfileDialogTests(RedisServerFixture redis) : IAsyncLifetime
{
    SandboxBotHost host = null!;

    public async ValueTask InitializeAsync() =>
        host = await SandboxBotHost.StartAsync(redis.ConnectionString, RedisServerFixture.NewKeyPrefix("profile"),
            new Dictionary<string, string?> { ["Bot:ConversationTtl"] = "02:00:00" });

    public async ValueTask DisposeAsync() => await host.DisposeAsync();

    [Fact]
    public async Task Four_step_dialog_survives_a_bot_restart_between_steps()
    {
        var user = SandboxBotHost.NewUser();
        var sent = await host.SendAsync(user, "/profile");
        var menu = await host.WaitForAsync(user, "Your profile", sent);
        Assert.Contains("not filled it in", menu.Text);

        var answer = await host.PressAsync(user, menu, "✏️ Fill in");
        Assert.Null(answer.Text);
        await host.WaitForAsync(user, "Step 1 of 4", menu.MessageId);

        sent = await host.SendAsync(user, "Ada Lovelace");
        await host.WaitForAsync(user, "Step 2 of 4", sent);

        await host.RestartAsync();

        sent = await host.SendAsync(user, "London");
        await host.WaitForAsync(user, "Step 3 of 4", sent);
        sent = await host.SendAsync(user, "Mathematician");
        var confirm = await host.WaitForAsync(user, "Step 4 of 4", sent);
        Assert.Contains("Name: Ada Lovelace\nCity: London\nAbout: Mathematician", confirm.Text);

        answer = await host.PressAsync(user, confirm, "✅ Save");
        Assert.Equal("✅ Profile saved.", answer.Text);
        var saved = await host.WaitForMessageAsync(user, confirm.MessageId, m => m.Text.Contains("Your profile", StringComparison.Ordinal));
        Assert.Contains("Name: Ada Lovelace", saved.Text);
        Assert.True(saved.Edited);
        Assert.Contains(saved.InlineKeyboard!.SelectMany(r => r), b => b.Text == "✏️ Edit");

        // The dialog is over: the conversation has no step left.
        var db = redis.Connection.GetDatabase();
        Assert.Equal("", (string?)await db.HashGetAsync($"{host.KeyPrefix}conv:{user.Id}:{user.Id}", "s"));
    }

    [Fact]
    public async Task Conversation_state_is_kept_with_the_configured_ttl()
    {
        var user = SandboxBotHost.NewUser();
        var sent = await host.SendAsync(user, "/profile");
        var menu = await host.WaitForAsync(user, "Your profile", sent);
        await host.PressAsync(user, menu, "✏️ Fill in");
        await host.WaitForAsync(user, "Step 1 of 4", menu.MessageId);

        var db = redis.Connection.GetDatabase();
        var key = $"{host.KeyPrefix}conv:{user.Id}:{user.Id}";
        // The step is written once its question was sent.
        await Until.TrueAsync(async () => (string?)await db.HashGetAsync(key, "s") == "profile.name", "the dialog's first step to be stored");
        var ttl = await db.KeyTimeToLiveAsync(key);
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromHours(2) - TimeSpan.FromMinutes(1), TimeSpan.FromHours(2));
    }
}
