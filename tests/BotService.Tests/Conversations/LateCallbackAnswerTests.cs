using Mesh.Testing;

namespace Mesh.Bot.Tests.Conversations;

/// <summary>
/// A button press the bot answers too late for Telegram (400 "query is too old"): answering is only the spinner, so the
/// bot logs the refusal and does what the button says. The sandbox here takes answers for 1 ms after the press, so every
/// answer of the bot comes too late.
/// </summary>
public sealed class LateCallbackAnswerTests(RedisServerFixture redis) : IAsyncLifetime
{
    SandboxBotHost host = null!;

    public async ValueTask InitializeAsync() =>
        host = await SandboxBotHost.StartAsync(redis.ConnectionString, RedisServerFixture.NewKeyPrefix("lateanswer"),
            sandboxSettings: new Dictionary<string, string?> { ["Sandbox:CallbackQueryTimeout"] = "00:00:00.001" });

    public async ValueTask DisposeAsync() => await host.DisposeAsync();

    [Fact]
    public async Task Press_answered_too_late_still_does_what_the_button_says_and_the_refusal_is_logged()
    {
        var ct = TestContext.Current.CancellationToken;
        var user = SandboxBotHost.NewUser();
        var menu = await host.WaitForAsync(user, "Your profile", await host.SendAsync(user, "/profile"));

        // "Fill in" answers the press first, then asks for the name and moves the dialog on.
        await host.Client.PressButtonAsync(host.Token, user, menu.MessageId, SandboxBotHost.ButtonData(menu, "✏️ Fill in"), ct);
        await host.WaitForAsync(user, "Step 1 of 4", menu.MessageId);
        var sent = await host.SendAsync(user, "Grace");
        await host.WaitForAsync(user, "Step 2 of 4", sent);

        var chat = await host.Client.GetChatAsync(host.Token, user.Id, ct: ct);
        Assert.Empty(chat.CallbackAnswers); // the answer was refused
        Assert.Contains($"Telegram rejected answerCallbackQuery to chat {user.Id} with 400", host.Bot.Output, StringComparison.Ordinal);
        // The update went through once: its question was not asked again by a retry.
        Assert.Single(chat.Messages, m => m.FromBot && m.Text.Contains("Step 1 of 4", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Menu_press_answered_too_late_still_draws_its_screen_and_the_refusal_is_logged()
    {
        var ct = TestContext.Current.CancellationToken;
        var user = SandboxBotHost.NewUser();
        var menu = await host.WaitForAsync(user, "What would you like to do?", await host.SendAsync(user, "/start"));

        // A navigation answers the press before it draws the screen: a refused answer does not stop the drawing.
        await host.Client.PressButtonAsync(host.Token, user, menu.MessageId, SandboxBotHost.ButtonData(menu, "❓ Help"), ct);
        await host.WaitForMessageAsync(user, menu.MessageId, m => m.Text.Contains("/language", StringComparison.Ordinal));

        // The bot's log reaches the test after its calls do.
        await Until.TrueAsync(() => host.Bot.Output.Contains($"Telegram rejected answerCallbackQuery to chat {user.Id} with 400", StringComparison.Ordinal),
            SandboxBotHost.Deadline, "the refused answer to be logged");
        var chat = await host.Client.GetChatAsync(host.Token, user.Id, ct: ct);
        Assert.Empty(chat.CallbackAnswers);
        Assert.Single(chat.Messages, m => m.FromBot); // the menu, edited in place once: not drawn again by a retry
        Assert.Equal(1, (await host.Client.GetCallsAsync(host.Token, ct)).Of("editMessageText"));
    }
}
