using Mesh.Testing;

namespace Mesh.Bot.Tests.Conversations;

/// <summary>
/// Commands addressed to a bot by name (<c>/help@SomeBot</c>, as Telegram's clients write them in groups): this bot
/// answers those addressed to it (its username from getMe, in any case) and leaves the others alone: no answer, no
/// "unknown command", a dialog left as it was. Here in private chats with the bot, as users meet it in the sandbox;
/// groups in <see cref="BotIdentityTests"/>. One bot for the class; each test its own user.
/// </summary>
public sealed class OtherBotsCommandsTests(OtherBotsCommandsTests.Bot bot) : IClassFixture<OtherBotsCommandsTests.Bot>
{
    readonly SandboxBotHost host = bot.Host;

    /// <summary>The class's one sandbox and bot.</summary>
    public sealed class Bot(RedisServerFixture redis) : SandboxBotFixture(redis, "otherbots");

    [Fact]
    public async Task Commands_addressed_to_another_bot_get_no_answer_and_those_addressed_to_this_one_are_answered()
    {
        var user = SandboxBotHost.NewUser();
        var first = await host.SendAsync(user, "/help@OtherBot");
        await host.SendAsync(user, "/start@OtherBot");
        await host.SendAsync(user, "/frobnicate@OtherBot payload");
        // This bot's name in other letters: usernames compare case-insensitively.
        var help = await host.WaitForAsync(user, "/language", await host.SendAsync(user, "/HELP@" + bot.Username.ToUpperInvariant()));
        var menu = await host.WaitForAsync(user, "What would you like to do?", await host.SendAsync(user, $"/start@{bot.Username} payload"));

        // A chat's updates are handled in order: by the time /help@ThisBot was answered, the three before it had been
        // handled, and answered nothing (not the help, the menu or "unknown command").
        var chat = await host.Client.GetChatAsync(host.Token, user.Id, ct: TestContext.Current.CancellationToken);
        Assert.Equal([help.MessageId, menu.MessageId], chat.Messages.Where(m => m.FromBot && m.MessageId > first).Select(m => m.MessageId));
    }

    [Fact]
    public async Task Another_bots_command_in_a_dialog_leaves_the_dialog_where_it_was()
    {
        var user = SandboxBotHost.NewUser();
        var menu = await host.WaitForAsync(user, "Your profile", await host.SendAsync(user, "/profile"));
        await host.PressAsync(user, menu, "✏️ Fill in");
        var question = await host.WaitForAsync(user, "Step 1 of 4", menu.MessageId);

        // Neither taken as the answer nor as a command that ends the dialog: the next text is still the name.
        await host.SendAsync(user, "/start@OtherBot");
        var next = await host.WaitForAsync(user, "Step 2 of 4", await host.SendAsync(user, "Grace"));

        var chat = await host.Client.GetChatAsync(host.Token, user.Id, ct: TestContext.Current.CancellationToken);
        Assert.Equal([next.MessageId], chat.Messages.Where(m => m.FromBot && m.MessageId > question.MessageId).Select(m => m.MessageId));
    }
}
