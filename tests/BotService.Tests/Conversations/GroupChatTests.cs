using Mesh.Bot.Conversations;
using Mesh.Bot.Features.Profile;
using Mesh.Testing;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Telegram.Bot;

namespace Mesh.Bot.Tests.Conversations;

/// <summary>
/// The bot in a group of the sandbox, where members share one chat: a member's menu answers only them, the profile
/// stays out of the group, a member's dialog is answered only by them; private chats as before. One bot for the class;
/// each test its own members and group.
/// </summary>
public sealed class GroupChatTests(RedisServerFixture redis, GroupChatTests.Bot bot) : IClassFixture<GroupChatTests.Bot>
{
    readonly SandboxBotHost host = bot.Host;

    /// <summary>The class's one sandbox and bot.</summary>
    /// <remarks>With a web app: its button is in the main menu of a private chat, and must stay out of a group's.</remarks>
    public sealed class Bot(RedisServerFixture redis) : SandboxBotFixture(redis, "groups", new Dictionary<string, string?> { ["Telegram:WebAppUrl"] = WebApp });

    const string WebApp = "https://app.example/";

    [Fact]
    public async Task Member_s_press_on_another_member_s_menu_gets_a_notice_and_leaves_the_menu_as_it_was()
    {
        var (alice, boris) = (SandboxBotHost.NewUser("Alice"), SandboxBotHost.NewUser("Boris", "ru"));
        var group = await host.NewGroupAsync(alice, boris);
        var command = await host.SendAsync(group, alice, "/start");
        var menu = await host.WaitForAsync(group, "What would you like to do?", command);

        var answer = await host.PressAsync(group, boris, menu, "👤 Profile");

        Assert.Equal(command, menu.ReplyToMessageId); // the menu names whose command it answers
        Assert.Equal("Это меню другого участника.", answer.Text); // in Boris's language
        // The group's updates are handled in order: once Alice's /help is answered, Boris's press was dealt with in full.
        await host.WaitForAsync(group, "/language", await host.SendAsync(group, alice, "/help"));
        var untouched = await host.MessageAsync(group, menu.MessageId);
        Assert.Equal((menu.Text, false, SandboxBotHost.VersionOf(menu)), (untouched.Text, untouched.Edited, SandboxBotHost.VersionOf(untouched)));

        // Alice's own press is carried out.
        var own = await host.PressAsync(group, alice, menu, "❓ Help");
        Assert.Null(own.Text);
        var help = await host.WaitForMessageAsync(group, menu.MessageId, m => m.Text.Contains("/language", StringComparison.Ordinal));
        // And her menu stays hers after it is redrawn: Boris's press on the new screen gets the notice too.
        var again = await host.PressAsync(group, boris, help, "⬅️ Back");
        Assert.Equal("Это меню другого участника.", again.Text);
    }

    [Fact]
    public async Task The_main_menu_in_a_group_has_no_web_app_button_which_Telegram_refuses_there_and_the_private_chat_s_has()
    {
        var alice = SandboxBotHost.NewUser("Alice");
        var group = await host.NewGroupAsync(alice);

        var inGroup = await host.WaitForAsync(group, "What would you like to do?", await host.SendAsync(group, alice, "/start"));
        var inPrivate = await host.WaitForAsync(alice, "What would you like to do?", await host.SendAsync(alice, "/start"));

        Assert.Equal([], WebAppsOf(inGroup));
        Assert.Equal([WebApp], WebAppsOf(inPrivate));
        Assert.Equal([.. inPrivate.InlineKeyboard!.SelectMany(r => r).Select(b => b.Text).SkipLast(1)], inGroup.InlineKeyboard!.SelectMany(r => r).Select(b => b.Text));
    }

    /// <summary>The URLs of a message's web app buttons.</summary>
    static string[] WebAppsOf(Mesh.TelegramSandbox.Client.SandboxChatMessage message) =>
        [.. (message.ReplyMarkup?["inline_keyboard"]?.AsArray() ?? []).SelectMany(row => row!.AsArray())
            .Select(button => button?["web_app"]?["url"]?.GetValue<string>()).OfType<string>()];

    [Fact]
    public async Task A_menu_stays_its_member_s_once_their_command_is_deleted()
    {
        var (alice, boris) = (SandboxBotHost.NewUser("Alice"), SandboxBotHost.NewUser("Boris"));
        var group = await host.NewGroupAsync(alice, boris);
        var command = await host.SendAsync(group, alice, "/start");
        var menu = await host.WaitForAsync(group, "What would you like to do?", command);
        // Boris has a menu of his own, which a press read against his state would take for outdated and redraw here.
        await host.WaitForAsync(group, "What would you like to do?", await host.SendAsync(group, boris, "/start"));

        await host.DeleteAsync(group, alice, command); // a group's clean-up bot, or Alice herself: the menu replies to nothing now
        var answer = await host.PressAsync(group, boris, menu, "❓ Help");

        Assert.Equal("This menu belongs to someone else.", answer.Text);
        await host.WaitForAsync(group, "/language", await host.SendAsync(group, alice, "/help")); // handled in order: Boris's press is done
        var untouched = await host.MessageAsync(group, menu.MessageId);
        Assert.Equal((menu.Text, false), (untouched.Text, untouched.Edited));
        // Alice's own press still works.
        Assert.Null((await host.PressAsync(group, alice, menu, "❓ Help")).Text);
        await host.WaitForMessageAsync(group, menu.MessageId, m => m.Text.Contains("/language", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Member_s_own_menus_in_a_group_are_told_apart_from_another_member_s()
    {
        var (alice, boris) = (SandboxBotHost.NewUser("Alice"), SandboxBotHost.NewUser("Boris", "uk"));
        var group = await host.NewGroupAsync(alice, boris);
        var alices = await host.WaitForAsync(group, "What would you like to do?", await host.SendAsync(group, alice, "/start"));
        var borises = await host.WaitForAsync(group, "Що ви бажаєте зробити?", await host.SendAsync(group, boris, "/start"));

        var onAlices = await host.PressAsync(group, boris, alices, "❓");
        var onOwn = await host.PressAsync(group, boris, borises, "❓");

        Assert.Equal("Це меню іншого учасника.", onAlices.Text);
        Assert.Null(onOwn.Text);
        await host.WaitForMessageAsync(group, borises.MessageId, m => m.Text.Contains("/language", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Member_choosing_a_language_in_a_group_gets_the_group_s_commands_in_it_and_the_others_keep_theirs()
    {
        var ct = TestContext.Current.CancellationToken;
        var (alice, boris) = (SandboxBotHost.NewUser("Alice"), SandboxBotHost.NewUser("Boris"));
        var group = await host.NewGroupAsync(alice, boris);
        var picker = await host.WaitForAsync(group, "Choose your language:", await host.SendAsync(group, alice, "/language"));

        await host.PressAsync(group, alice, picker, "🇺🇦 Українська");
        await host.WaitForMessageAsync(group, picker.MessageId, m => m.Text.Contains("Що ви бажаєте зробити?", StringComparison.Ordinal));

        using var http = new HttpClient();
        var api = new global::Telegram.Bot.TelegramBotClient(new global::Telegram.Bot.TelegramBotClientOptions(host.Token, host.Sandbox.BaseUrl), http);
        var until = DateTime.UtcNow + SandboxBotHost.Deadline;
        global::Telegram.Bot.Types.BotCommand[] alices;
        while ((alices = await api.GetMyCommands(global::Telegram.Bot.Types.BotCommandScope.ChatMember(group, alice.Id), cancellationToken: ct)).Length == 0
            && DateTime.UtcNow < until)
        {
            await Task.Delay(50, ct);
        }
        Assert.Equal(["start", "language", "help"], alices.Select(c => c.Command));
        Assert.Equal("Головне меню", alices[0].Description);
        // Boris chose nothing: no list of his own in the group (he sees the groups' list, in his app's language).
        Assert.Empty(await api.GetMyCommands(global::Telegram.Bot.Types.BotCommandScope.ChatMember(group, boris.Id), cancellationToken: ct));
    }

    [Fact]
    public async Task Profile_asked_for_in_a_group_is_not_shown_there_and_its_link_opens_it_in_the_private_chat()
    {
        var alice = SandboxBotHost.NewUser("Alice");
        var boris = SandboxBotHost.NewUser("Boris");
        await redis.Connection.GetDatabase().HashSetAsync($"{host.KeyPrefix}profile:{alice.Id}",
            [new HashEntry("name", "Grace Hopper"), new HashEntry("city", "Arlington"), new HashEntry("about", "compilers")]);
        var group = await host.NewGroupAsync(alice, boris);

        var command = await host.SendAsync(group, alice, "/profile");
        var answer = await host.WaitForAsync(group, "private chat", command);
        var menu = await host.WaitForAsync(group, "What would you like to do?", await host.SendAsync(group, alice, "/start"));
        await host.PressAsync(group, alice, menu, "👤 Profile");
        var screen = await host.WaitForMessageAsync(group, menu.MessageId, m => m.Text.Contains("private chat", StringComparison.Ordinal));

        foreach (var shown in new[] { answer, screen })
        {
            Assert.DoesNotContain("Grace", shown.Text);
            Assert.DoesNotContain("Arlington", shown.Text);
            var link = shown.InlineKeyboard!.SelectMany(row => row).Single(b => b.Url is not null);
            Assert.Equal($"https://t.me/{bot.Username}?start=profile", link.Url);
        }
        Assert.Equal(command, answer.ReplyToMessageId);

        // The link's /start profile, in the private chat, opens the profile there.
        var profile = await host.WaitForAsync(alice, "Your profile", await host.SendAsync(alice, "/start profile"));
        Assert.Contains("Grace Hopper", profile.Text);
        Assert.Contains("Arlington", profile.Text);
        Assert.Null(profile.ReplyToMessageId); // a private chat's messages reply to nothing, as before
    }

    [Fact]
    public async Task In_a_group_only_what_is_meant_for_the_bot_is_answered()
    {
        var alice = SandboxBotHost.NewUser("Alice");
        var group = await host.NewGroupAsync(alice);
        var menu = await host.WaitForAsync(group, "What would you like to do?", await host.SendAsync(group, alice, "/start"));

        var thanks = await host.SendAsync(group, alice, "thanks!", menu.MessageId); // a reply to the bot, outside any dialog
        var anyBots = await host.SendAsync(group, alice, "/weather"); // a command for no bot in particular: maybe another's
        var ours = await host.SendAsync(group, alice, $"/weather@{bot.Username}");

        // Updates of a chat are handled in order: once the last is answered, the others were handled.
        var unknown = await host.WaitForAsync(group, "Sorry, I don't know that command", ours);
        Assert.Equal(ours, unknown.ReplyToMessageId);
        var replies = (await host.Client.GetChatAsync(host.Token, group, ct: TestContext.Current.CancellationToken)).Messages;
        Assert.DoesNotContain(replies, m => m.ReplyToMessageId == thanks || m.ReplyToMessageId == anyBots);
    }

    [Fact]
    public async Task Member_s_text_in_a_group_does_not_answer_another_member_s_dialog()
    {
        var (alice, boris) = (SandboxBotHost.NewUser("Alice"), SandboxBotHost.NewUser("Boris"));
        var group = await host.NewGroupAsync(alice, boris);
        var menu = await host.WaitForAsync(group, "What would you like to do?", await host.SendAsync(group, alice, "/start"));
        // Alice in a dialog in the group, at its first question (a dialog the group's menus no longer start: the
        // profile's is private now; the dialogs' state is per member all the same).
        var store = new ConversationStore(redis.Connection, Options.Create(new BotOptions { RedisKeyPrefix = host.KeyPrefix }),
            Options.Create(new ConversationOptions()), TimeProvider.System);
        await store.SetAsync(group, alice.Id, (await store.GetAsync(group, alice.Id)).Version, ProfileFlow.Name, "{}");

        // Boris answers in her place (a reply to the bot, which privacy mode lets through), then Alice answers herself.
        var borises = await host.SendAsync(group, boris, "Mallory", menu.MessageId);
        var alices = await host.SendAsync(group, alice, "Grace", menu.MessageId);

        // The group's updates are handled in order: by the time Alice's answer is, Boris's was, and changed nothing of
        // hers (her answer is taken at the step she was at: the name's question is followed by the city's) and got no
        // answer: it was not for the bot.
        await host.WaitForAsync(group, "Step 2 of 4", alices);
        Assert.DoesNotContain((await host.Client.GetChatAsync(host.Token, group, ct: TestContext.Current.CancellationToken)).Messages,
            m => m.ReplyToMessageId == borises);
        // The step moves on once its question went out.
        await Until.TrueAsync(async () => (await store.GetAsync(group, alice.Id)).Step == ProfileFlow.City, SandboxBotHost.Deadline, "Alice's dialog to move to the city");
    }
}
