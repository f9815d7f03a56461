using Mesh.Testing;

namespace Mesh.Bot.Tests.Conversations;

/// <summary>
/// A menu button's press is answered (the user's spinner stops) before its screen is drawn, so an edit that Telegram
/// holds back with a 429 does not hold back the answer. The sandbox here allows one message or edit to a chat every 4
/// seconds, with no burst: the menu sent for /start takes it, and the edit of the press right after is refused with
/// retry_after 4. The bot's own rate limits are off (<see cref="Mesh.Testing.Services.SandboxMesh"/>).
/// </summary>
public sealed class MenuPressAnswerTests(RedisServerFixture redis) : IAsyncLifetime
{
    SandboxBotHost host = null!;

    public async ValueTask InitializeAsync() =>
        host = await SandboxBotHost.StartAsync(redis.ConnectionString, RedisServerFixture.NewKeyPrefix("pressanswer"),
            sandboxSettings: new Dictionary<string, string?>
            {
                ["Sandbox:Limits:PerChatPerSecond"] = "0.25",
                ["Sandbox:Limits:PerChatBurst"] = "1",
            });

    public async ValueTask DisposeAsync() => await host.DisposeAsync();

    [Fact]
    public async Task Press_is_answered_while_its_edit_waits_out_Telegrams_retry_after()
    {
        var ct = TestContext.Current.CancellationToken;
        var user = SandboxBotHost.NewUser();
        var menu = await host.WaitForAsync(user, "What would you like to do?", await host.SendAsync(user, "/start"));

        var pressed = await host.Client.PressButtonAsync(host.Token, user, menu.MessageId, SandboxBotHost.ButtonData(menu, "❓ Help"), ct);
        // The chat as it was when the answer came: the menu not edited yet (its edit waits about 4 s for Telegram).
        var answered = await host.Client.WaitForAsync(host.Token, user.Id,
            state => state.CallbackAnswers.Any(a => a.CallbackQueryId == pressed.CallbackQueryId) ? state : null, SandboxBotHost.Deadline, ct);
        Assert.False(answered.Messages.Single(m => m.MessageId == menu.MessageId).Edited, "the press was answered only after its edit");

        // Then the edit goes through, once Telegram's retry_after has passed.
        var help = await host.WaitForMessageAsync(user, menu.MessageId, m => m.Text.Contains("/language", StringComparison.Ordinal));
        var answer = answered.CallbackAnswers.Single(a => a.CallbackQueryId == pressed.CallbackQueryId);
        Assert.True(help.EditDate - answer.AnsweredAt >= 3, $"answered at {answer.AnsweredAt}, edited at {help.EditDate}: the answer waited for the edit");
        var calls = await host.Client.GetCallsAsync(host.Token, ct);
        Assert.Equal(2, calls.Of("editMessageText")); // refused with 429 once, then edited
        Assert.Equal(1, calls.Of("answerCallbackQuery"));
    }
}
