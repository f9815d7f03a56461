using Telegram.Bot;
using Mesh.Bot.Conversations;
using Mesh.Testing;
using Mesh.TelegramSandbox.Client;

namespace Mesh.Bot.Tests.Conversations;

/// <summary>Menus, buttons, /cancel, languages and escaping, as a user meets them in the sandbox. One bot for the class; each test its own user.</summary>
public sealed class BotExperienceTests(RedisServerFixture redis, BotExperienceTests.Bot bot) : IClassFixture<BotExperienceTests.Bot>
{
    readonly SandboxBotHost host = bot.Host;

    /// <summary>The class's one sandbox and bot.</summary>
    public sealed class Bot(RedisServerFixture redis) : SandboxBotFixture(redis, "experience");

    [Fact]
    public async Task Menu_buttons_edit_the_menu_in_place()
    {
        var user = SandboxBotHost.NewUser();
        var menu = await host.WaitForAsync(user, "What would you like to do?", await host.SendAsync(user, "/start"));

        await host.PressAsync(user, menu, "❓ Help");
        var help = await host.WaitForMessageAsync(user, menu.MessageId, m => m.Text.Contains("/language", StringComparison.Ordinal));
        await host.PressAsync(user, help, "⬅️ Back");
        var back = await host.WaitForMessageAsync(user, menu.MessageId, m => m.Text.Contains("What would you like to do?", StringComparison.Ordinal));

        Assert.True(back.Edited);
        Assert.True(SandboxBotHost.VersionOf(back) > SandboxBotHost.VersionOf(menu));
        var chat = await host.Client.GetChatAsync(host.Token, user.Id, ct: TestContext.Current.CancellationToken);
        Assert.Single(chat.Messages, m => m.FromBot); // one menu message, edited, never a new one
    }

    [Fact]
    public async Task Menu_button_press_is_answered_before_the_menu_is_edited()
    {
        var user = SandboxBotHost.NewUser();
        var ct = TestContext.Current.CancellationToken;
        var menu = await host.WaitForAsync(user, "What would you like to do?", await host.SendAsync(user, "/start"));

        var pressed = await host.Client.PressButtonAsync(host.Token, user, menu.MessageId, SandboxBotHost.ButtonData(menu, "❓ Help"), ct);
        // The first state of the chat in which the menu shows the help screen: its press was answered already.
        var edited = await host.Client.WaitForAsync(host.Token, user.Id,
            state => state.Messages.Any(m => m.MessageId == menu.MessageId && m.Text.Contains("/language", StringComparison.Ordinal)) ? state : null,
            SandboxBotHost.Deadline, ct);

        var answer = Assert.Single(edited.CallbackAnswers, a => a.CallbackQueryId == pressed.CallbackQueryId);
        Assert.Null(answer.Text); // a navigation has no notice
    }

    [Fact]
    public async Task Menus_drawn_within_a_minute_renew_the_conversation_s_expiry_once()
    {
        var user = SandboxBotHost.NewUser();
        var db = redis.Connection.GetDatabase();
        var key = $"{host.KeyPrefix}conv:{user.Id}:{user.Id}";
        var ct = TestContext.Current.CancellationToken;

        var first = await host.WaitForAsync(user, "What would you like to do?", await host.SendAsync(user, "/start"));
        var expires = await ExpiryOnceWrittenAsync(SandboxBotHost.VersionOf(first));
        var second = await host.WaitForAsync(user, "What would you like to do?", await host.SendAsync(user, "/start"));

        // The second menu's write, seconds later, left the expiry where the first put it (no PEXPIRE of its own).
        Assert.Equal(expires, await ExpiryOnceWrittenAsync(SandboxBotHost.VersionOf(second)));
        var full = DateTimeOffset.UtcNow.AddHours(24).ToUnixTimeMilliseconds();
        Assert.InRange(expires, full - 60_000, full);
        Assert.InRange((await db.KeyTimeToLiveAsync(key))!.Value, TimeSpan.FromHours(24) - TimeSpan.FromMinutes(1), TimeSpan.FromHours(24));

        // The expiry recorded in the user's hash once the write of the menu drawn with this version has landed (it goes
        // with the update's acknowledgement, after the message).
        async Task<long> ExpiryOnceWrittenAsync(long version)
        {
            var deadline = DateTime.UtcNow + SandboxBotHost.Deadline;
            while (true)
            {
                var fields = await db.HashGetAsync(key, [ConversationStore.MenuVersion, ConversationStore.ExpiresAt]);
                if ((long?)fields[0] == version)
                {
                    return (long)fields[1];
                }
                Assert.True(DateTime.UtcNow < deadline, $"the menu of version {version} was not written");
                await Task.Delay(20, ct);
            }
        }
    }

    [Fact]
    public async Task Press_on_an_outdated_menu_answers_outdated_and_shows_the_current_menu()
    {
        var user = SandboxBotHost.NewUser();
        var first = await host.WaitForAsync(user, "What would you like to do?", await host.SendAsync(user, "/start"));
        var second = await host.WaitForAsync(user, "What would you like to do?", await host.SendAsync(user, "/start"));
        Assert.True(SandboxBotHost.VersionOf(second) > SandboxBotHost.VersionOf(first));

        var answer = await host.PressAsync(user, first, "👤 Profile");

        Assert.Equal("This menu is outdated; here is the current one.", answer.Text);
        var current = await host.WaitForMessageAsync(user, first.MessageId, m => m.Edited);
        Assert.Contains("What would you like to do?", current.Text); // the current screen, not the profile the old button asked for
        Assert.True(SandboxBotHost.VersionOf(current) > SandboxBotHost.VersionOf(second));

        // The redrawn menu is the current one: its buttons work.
        answer = await host.PressAsync(user, current, "👤 Profile");
        Assert.Null(answer.Text);
        await host.WaitForMessageAsync(user, first.MessageId, m => m.Text.Contains("Your profile", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Menu_shown_before_the_conversation_state_expired_or_was_cleared_still_works()
    {
        var user = SandboxBotHost.NewUser();
        var menu = await host.WaitForAsync(user, "What would you like to do?", await host.SendAsync(user, "/start"));
        await ForgetConversationAsync(user, menu);

        var answer = await host.PressAsync(user, menu, "❓ Help");

        Assert.Null(answer.Text); // not "This menu is outdated"
        await host.WaitForMessageAsync(user, menu.MessageId, m => m.Text.Contains("/language", StringComparison.Ordinal));

        var profile = await host.WaitForAsync(user, "Your profile", await host.SendAsync(user, "/profile"));
        await ForgetConversationAsync(user, profile);

        answer = await host.PressAsync(user, profile, "✏️ Fill in");

        Assert.Null(answer.Text);
        await host.WaitForAsync(user, "Step 1 of 4", profile.MessageId);
    }

    [Fact]
    public async Task Menu_from_before_the_conversation_state_was_cleared_is_not_taken_for_the_current_one()
    {
        var user = SandboxBotHost.NewUser();
        var old = await host.WaitForAsync(user, "What would you like to do?", await host.SendAsync(user, "/start"));
        await ForgetConversationAsync(user, old);
        var current = await host.WaitForAsync(user, "What would you like to do?", await host.SendAsync(user, "/start"));

        var answer = await host.PressAsync(user, old, "👤 Profile");

        Assert.Equal("This menu is outdated; here is the current one.", answer.Text);
        var redrawn = await host.WaitForMessageAsync(user, old.MessageId, m => m.Edited);
        Assert.Contains("What would you like to do?", redrawn.Text);
        Assert.NotEqual(current.MessageId, old.MessageId);
    }

    [Theory]
    [InlineData("en", "❓ Help", "Buying tokens, subscriptions and support are coming soon.")]
    [InlineData("ru", "❓ Помощь", "Покупка токенов, подписка и поддержка скоро появятся.")]
    [InlineData("uk", "❓ Допомога", "Купівля токенів, підписка та підтримка незабаром з'являться.")]
    public async Task Help_says_what_works_now_and_what_is_coming(string language, string helpButton, string coming)
    {
        var user = SandboxBotHost.NewUser("Ada", language);
        var help = await host.WaitForAsync(user, "/profile", await host.SendAsync(user, "/help"));
        var menu = await host.WaitForAsync(user, "", await host.SendAsync(user, "/start"));

        await host.PressAsync(user, menu, helpButton);
        var screen = await host.WaitForMessageAsync(user, menu.MessageId, m => m.Text.Contains("/profile", StringComparison.Ordinal));

        foreach (var text in new[] { help.Text, screen.Text })
        {
            Assert.Contains(coming, text); // not sold or offered as if they were there: their buttons say "coming soon"
            Assert.DoesNotContain("this message", text);
            Assert.DoesNotContain("это сообщение", text);
            Assert.DoesNotContain("це повідомлення", text); // the menu's screen is not that message
        }
    }

    [Fact]
    public async Task Every_button_press_is_answered()
    {
        var user = SandboxBotHost.NewUser();
        var menu = await host.WaitForAsync(user, "What would you like to do?", await host.SendAsync(user, "/start"));

        Assert.Equal("Coming soon.", (await host.PressAsync(user, menu, "🪙 Buy tokens")).Text);
        Assert.Equal("Coming soon.", (await host.PressAsync(user, menu, "🆘 Support")).Text);
        Assert.Null((await host.PressAsync(user, menu, "❓ Help")).Text);

        // A dialog's button after the dialog was cancelled: no route takes it, it is still answered.
        var confirm = await FillProfileUpToConfirmAsync(user, "Bob");
        await host.WaitForAsync(user, "Cancelled.", await host.SendAsync(user, "/cancel"));
        Assert.Equal("This button is outdated.", (await host.PressAsync(user, confirm, "✅ Save")).Text);

        var chat = await host.Client.GetChatAsync(host.Token, user.Id, ct: TestContext.Current.CancellationToken);
        Assert.Equal(5, chat.CallbackAnswers.Count);
    }

    [Theory]
    [InlineData("en", "There was nothing to cancel.", "What would you like to do?")]
    [InlineData("ru", "Отменять было нечего.", "Что вы хотите сделать?")]
    [InlineData("uk", "Не було чого скасовувати.", "Що ви бажаєте зробити?")]
    public async Task Cancel_with_no_dialog_says_there_was_nothing_to_cancel_and_shows_the_main_menu(string language, string nothing, string mainMenu)
    {
        var user = SandboxBotHost.NewUser(languageCode: language);
        await host.WaitForAsync(user, mainMenu, await host.SendAsync(user, "/start"));

        var reply = await host.WaitForAsync(user, "", await host.SendAsync(user, "/cancel"));

        Assert.Equal(nothing + "\n" + mainMenu, reply.Text);
        Assert.NotNull(reply.InlineKeyboard);
    }

    [Fact]
    public async Task Cancel_in_the_middle_of_a_dialog_resets_it()
    {
        var user = SandboxBotHost.NewUser();
        var menu = await host.WaitForAsync(user, "Your profile", await host.SendAsync(user, "/profile"));
        await host.PressAsync(user, menu, "✏️ Fill in");
        await host.WaitForAsync(user, "Step 1 of 4", menu.MessageId);
        var sent = await host.SendAsync(user, "Grace");
        await host.WaitForAsync(user, "Step 2 of 4", sent);

        sent = await host.SendAsync(user, "/cancel");
        var cancelled = await host.WaitForAsync(user, "Cancelled.", sent);
        Assert.NotNull(cancelled.InlineKeyboard); // back at the main menu

        sent = await host.SendAsync(user, "Paris");
        var reply = await host.WaitForAsync(user, "", sent);
        Assert.Contains("I didn't understand that", reply.Text); // not taken as the city
        Assert.Equal("", (string?)await redis.Connection.GetDatabase().HashGetAsync($"{host.KeyPrefix}conv:{user.Id}:{user.Id}", "s"));
    }

    [Theory]
    [InlineData("⬅️ Back")]
    [InlineData("/language")]
    [InlineData("/profile")]
    public async Task Navigating_away_from_a_dialog_ends_it(string away)
    {
        var user = SandboxBotHost.NewUser();
        var menu = await host.WaitForAsync(user, "Your profile", await host.SendAsync(user, "/profile"));
        await host.PressAsync(user, menu, "✏️ Fill in");
        await host.WaitForAsync(user, "Step 1 of 4", menu.MessageId);

        if (away.StartsWith('/'))
        {
            await host.WaitForAsync(user, "", await host.SendAsync(user, away));
        }
        else
        {
            await host.PressAsync(user, menu, away);
            await host.WaitForMessageAsync(user, menu.MessageId, m => m.Text.Contains("What would you like to do?", StringComparison.Ordinal));
        }
        var sent = await host.SendAsync(user, "what can you do?");

        var reply = await host.WaitForAsync(user, "", sent);
        Assert.DoesNotContain("Step 2 of 4", reply.Text); // not taken as the name
        Assert.Equal("", (string?)await redis.Connection.GetDatabase().HashGetAsync($"{host.KeyPrefix}conv:{user.Id}:{user.Id}", "s"));
    }

    [Fact]
    public async Task Help_in_a_dialog_keeps_it_and_says_how_to_leave_it()
    {
        var user = SandboxBotHost.NewUser();
        var confirm = await FillProfileUpToConfirmAsync(user, "Grace");

        var help = await host.WaitForAsync(user, "", await host.SendAsync(user, "/help"));
        var saved = await host.PressAsync(user, confirm, "✅ Save");

        Assert.EndsWith("You are in the middle of a dialog: answer its last question, or send /cancel to leave it.", help.Text);
        Assert.Equal("✅ Profile saved.", saved.Text); // the answers given before /help were kept
    }

    [Fact]
    public async Task Unknown_command_in_a_dialog_leaves_the_user_at_its_question()
    {
        var user = SandboxBotHost.NewUser();
        var menu = await host.WaitForAsync(user, "Your profile", await host.SendAsync(user, "/profile"));
        await host.PressAsync(user, menu, "✏️ Fill in");
        await host.WaitForAsync(user, "Step 1 of 4", menu.MessageId);

        await host.WaitForAsync(user, "don't know that command", await host.SendAsync(user, "/frobnicate"));

        await host.WaitForAsync(user, "Step 2 of 4", await host.SendAsync(user, "Grace"));
    }

    [Theory]
    [InlineData("en", "I didn't understand that. Use the menu buttons or /help.")]
    [InlineData("ru", "Не понимаю. Воспользуйтесь кнопками меню или /help.")]
    [InlineData("uk", "Не розумію. Скористайтеся кнопками меню або /help.")]
    public async Task Text_outside_any_dialog_is_answered_as_text_not_as_a_command(string language, string expected)
    {
        var user = SandboxBotHost.NewUser("Ada", language);

        var reply = await host.WaitForAsync(user, "", await host.SendAsync(user, "I like cats"));
        var unknown = await host.WaitForAsync(user, "", await host.SendAsync(user, "/frobnicate"));

        Assert.Equal(expected, reply.Text);
        Assert.Contains("/help", unknown.Text);
        Assert.NotEqual(expected, unknown.Text); // an unknown command keeps its own answer
    }

    [Fact]
    public async Task Start_in_the_middle_of_a_dialog_resets_it()
    {
        var user = SandboxBotHost.NewUser();
        await FillProfileUpToConfirmAsync(user, "Linus");

        var sent = await host.SendAsync(user, "/start");
        await host.WaitForAsync(user, "Hello, Ada!", sent);
        sent = await host.SendAsync(user, "anything");

        Assert.Contains("I didn't understand that", (await host.WaitForAsync(user, "", sent)).Text);
    }

    [Fact]
    public async Task Ukrainian_speaking_user_is_greeted_in_Ukrainian()
    {
        var user = SandboxBotHost.NewUser("Оксана", "uk");

        var greeting = await host.WaitForAsync(user, "", await host.SendAsync(user, "/start"));

        Assert.StartsWith("Вітаю, Оксана! 👋\nЩо ви бажаєте зробити?", greeting.Text);
        Assert.Contains(greeting.InlineKeyboard!.SelectMany(r => r), b => b.Text == "👤 Профіль");
    }

    [Fact]
    public async Task Language_chosen_with_the_language_command_is_used_and_remembered()
    {
        var user = SandboxBotHost.NewUser("Ada", "en");
        var picker = await host.WaitForAsync(user, "Choose your language:", await host.SendAsync(user, "/language"));

        var answer = await host.PressAsync(user, picker, "🇷🇺 Русский");

        Assert.Equal("Язык: русский", answer.Text);
        await host.WaitForMessageAsync(user, picker.MessageId, m => m.Text.Contains("Что вы хотите сделать?", StringComparison.Ordinal));
        var help = await host.WaitForAsync(user, "", await host.SendAsync(user, "/help"));
        Assert.StartsWith("Пока здесь можно заполнить профиль", help.Text);
        Assert.Equal("ru", (string?)await redis.Connection.GetDatabase().StringGetAsync($"{host.KeyPrefix}lang:{user.Id}"));
    }

    [Theory]
    [InlineData("en", "✏️ Fill in", "That is too long: 64 characters at most, please.")]
    [InlineData("ru", "✏️ Заполнить", "Слишком длинный текст: не больше 64 символов, пожалуйста.")]
    [InlineData("uk", "✏️ Заповнити", "Занадто довгий текст: не більше 64 символів, будь ласка.")]
    public async Task Too_long_an_answer_is_refused_in_the_user_s_language(string language, string fillIn, string expected)
    {
        var user = SandboxBotHost.NewUser("Ada", language);
        var menu = await host.WaitForAsync(user, "", await host.SendAsync(user, "/profile"));
        await host.PressAsync(user, menu, fillIn);
        await host.WaitForAsync(user, "1", menu.MessageId);

        var reply = await host.WaitForAsync(user, "", await host.SendAsync(user, new string('a', 65)));

        Assert.Equal(expected, reply.Text);
    }

    [Fact]
    public async Task Fill_in_pressed_twice_asks_the_first_question_once()
    {
        var user = SandboxBotHost.NewUser();
        var menu = await host.WaitForAsync(user, "Your profile", await host.SendAsync(user, "/profile"));

        await host.PressAsync(user, menu, "✏️ Fill in");
        var question = await host.WaitForAsync(user, "Step 1 of 4", menu.MessageId);
        var again = await host.PressAsync(user, menu, "✏️ Fill in");
        await host.WaitForAsync(user, "Step 2 of 4", await host.SendAsync(user, "Ada"));

        Assert.Equal(question.Text, again.Text);
        var chat = await host.Client.GetChatAsync(host.Token, user.Id, ct: TestContext.Current.CancellationToken);
        Assert.Single(chat.Messages, m => m.FromBot && m.Text.StartsWith("Step 1 of 4", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Menu_button_pressed_twice_opens_its_screen_once_without_calling_the_menu_outdated()
    {
        var ct = TestContext.Current.CancellationToken;
        var user = SandboxBotHost.NewUser();
        var menu = await host.WaitForAsync(user, "What would you like to do?", await host.SendAsync(user, "/start"));

        var (first, second) = await DoubleTapAsync(user, menu, "👤 Profile");

        Assert.Null(first.Text);
        Assert.Null(second.Text); // not "This menu is outdated; here is the current one."
        var shown = await host.MessageAsync(user, menu.MessageId);
        Assert.Contains("Your profile", shown.Text);
        Assert.Equal(SandboxBotHost.VersionOf(menu) + 1, SandboxBotHost.VersionOf(shown)); // drawn once, not redrawn for the second press
        Assert.Single(await host.Client.GetBotMessagesAsync(host.Token, user.Id, ct));
    }

    [Fact]
    public async Task Save_pressed_twice_says_saved_and_nothing_else()
    {
        var user = SandboxBotHost.NewUser();
        var confirm = await FillProfileUpToConfirmAsync(user, "Ada");

        var (first, second) = await DoubleTapAsync(user, confirm, "✅ Save");

        Assert.Equal("✅ Profile saved.", first.Text);
        Assert.Null(second.Text); // not "This button is outdated.": the message shows the saved profile
        Assert.Contains("Name: Ada", (await host.MessageAsync(user, confirm.MessageId)).Text);
    }

    [Fact]
    public async Task Start_over_pressed_twice_asks_the_first_question_once()
    {
        var ct = TestContext.Current.CancellationToken;
        var user = SandboxBotHost.NewUser();
        var confirm = await FillProfileUpToConfirmAsync(user, "Ada");

        var (first, second) = await DoubleTapAsync(user, confirm, "↩️ Start over");

        Assert.Null(first.Text);
        Assert.Equal("Step 1 of 4. What is your name?", second.Text); // not "This button is outdated."
        Assert.StartsWith("Step 1 of 4", (await host.MessageAsync(user, confirm.MessageId)).Text);
        var asked = (await host.Client.GetBotMessagesAsync(host.Token, user.Id, ct)).Count(m => m.Text.StartsWith("Step 1 of 4", StringComparison.Ordinal));
        Assert.Equal(2, asked); // the first time, and the summary turned into the question: no third
        await host.WaitForAsync(user, "Step 2 of 4", await host.SendAsync(user, "Grace")); // still at the first question
    }

    /// <summary>
    /// Presses a button twice before the bot can answer the first press (Telegram down for half a second: the first
    /// press's redraw cannot land in between, so both are pressed on the keyboard the user saw), as a double tap does.
    /// </summary>
    async Task<(SandboxCallbackAnswer First, SandboxCallbackAnswer Second)> DoubleTapAsync(SandboxUser user, SandboxChatMessage message, string label)
    {
        var ct = TestContext.Current.CancellationToken;
        var data = SandboxBotHost.ButtonData(message, label);
        await host.Client.SetFaultAsync(503, TimeSpan.FromSeconds(0.5), ct: ct);
        var first = await host.Client.PressButtonAsync(host.Token, user, message.MessageId, data, ct);
        var second = await host.Client.PressButtonAsync(host.Token, user, message.MessageId, data, ct);
        return (await host.Client.WaitForCallbackAnswerAsync(host.Token, user.Id, first.CallbackQueryId, SandboxBotHost.Deadline, ct),
            await host.Client.WaitForCallbackAnswerAsync(host.Token, user.Id, second.CallbackQueryId, SandboxBotHost.Deadline, ct));
    }

    [Fact]
    public async Task Answer_length_is_counted_in_characters_as_the_user_sees_them()
    {
        var user = SandboxBotHost.NewUser();
        var menu = await host.WaitForAsync(user, "Your profile", await host.SendAsync(user, "/profile"));
        await host.PressAsync(user, menu, "✏️ Fill in");
        await host.WaitForAsync(user, "Step 1 of 4", menu.MessageId);

        var tooMany = await host.WaitForAsync(user, "", await host.SendAsync(user, string.Concat(Enumerable.Repeat("😀", 65))));
        // 64 characters of eleven UTF-16 units each: within 64 as counted, but not within what one message of the summary holds.
        var tooHeavy = await host.WaitForAsync(user, "", await host.SendAsync(user, string.Concat(Enumerable.Repeat("a\u0301\u0302\u0303\u0304\u0305\u0306\u0307\u0308\u0309\u030A", 64))));
        var forty = await host.WaitForAsync(user, "", await host.SendAsync(user, string.Concat(Enumerable.Repeat("😀", 40))));

        Assert.Equal("That is too long: 64 characters at most, please.", tooMany.Text);
        Assert.Equal("That is too long: 64 characters at most, please.", tooHeavy.Text);
        Assert.Equal("Step 2 of 4. Which city do you live in?", forty.Text);

        await host.WaitForAsync(user, "Step 3 of 4", await host.SendAsync(user, string.Concat(Enumerable.Repeat("🇺🇦", 64))));
        // 500 characters of About: the summary is still one message (emoji are not written as HTML entities, nine characters each).
        var about = string.Concat(Enumerable.Repeat("😀", 500));
        var confirm = await host.WaitForAsync(user, "Step 4 of 4", await host.SendAsync(user, about));
        Assert.Contains($"Name: {string.Concat(Enumerable.Repeat("😀", 40))}\nCity: {string.Concat(Enumerable.Repeat("🇺🇦", 64))}\n", confirm.Text);
        Assert.Contains(about, confirm.Text);
    }

    [Fact]
    public async Task User_supplied_text_is_escaped_in_html_replies()
    {
        var user = SandboxBotHost.NewUser("<b>Eve</b>");

        var greeting = await host.WaitForAsync(user, "", await host.SendAsync(user, "/start"));
        var confirm = await FillProfileUpToConfirmAsync(user, "<b>Bob</b> & <i>co</i>");

        Assert.StartsWith("Hello, <b>Eve</b>! 👋", greeting.Text);
        Assert.Contains("Name: <b>Bob</b> & <i>co</i>", confirm.Text);
        Assert.True(confirm.Entities is null || confirm.Entities.Count == 0);
    }

    [Fact]
    public async Task Commands_are_registered_for_each_language()
    {
        using var http = new HttpClient();
        foreach (var (code, description) in new[] { ("en", "Main menu"), ("ru", "Главное меню"), ("uk", "Головне меню") })
        {
            var commands = await WaitForCommandsAsync(http, code);
            Assert.Equal(["start", "profile", "language", "cancel", "help"], commands.Select(c => c.Command));
            Assert.Equal(description, commands[0].Description);
        }
    }

    [Fact]
    public async Task Groups_are_offered_only_the_commands_that_serve_there_in_each_language()
    {
        using var http = new HttpClient();
        var bot = new global::Telegram.Bot.TelegramBotClient(new global::Telegram.Bot.TelegramBotClientOptions(host.Token, host.Sandbox.BaseUrl), http);
        foreach (var (code, description) in new[] { ("", "Main menu"), ("en", "Main menu"), ("ru", "Главное меню"), ("uk", "Головне меню") })
        {
            var until = DateTime.UtcNow + SandboxBotHost.Deadline;
            global::Telegram.Bot.Types.BotCommand[] listed;
            while ((listed = await bot.GetMyCommands(global::Telegram.Bot.Types.BotCommandScope.AllGroupChats(), code, TestContext.Current.CancellationToken)).Length == 0
                && DateTime.UtcNow < until)
            {
                await Task.Delay(50, TestContext.Current.CancellationToken);
            }
            // No /profile (kept to the private chat) and no /cancel (no dialog starts in a group).
            Assert.Equal(["start", "language", "help"], listed.Select(c => c.Command));
            Assert.Equal(description, listed[0].Description);
        }
    }

    [Fact]
    public async Task Commands_listed_in_the_chat_follow_the_language_chosen_not_the_app_s()
    {
        var ct = TestContext.Current.CancellationToken;
        var user = SandboxBotHost.NewUser("Ada", "en");
        using var http = new HttpClient();
        var bot = new global::Telegram.Bot.TelegramBotClient(new global::Telegram.Bot.TelegramBotClientOptions(host.Token, host.Sandbox.BaseUrl), http);
        var picker = await host.WaitForAsync(user, "Choose your language:", await host.SendAsync(user, "/language"));

        await host.PressAsync(user, picker, "🇺🇦 Українська");
        await host.WaitForMessageAsync(user, picker.MessageId, m => m.Text.Contains("Що ви бажаєте зробити?", StringComparison.Ordinal));

        // What Telegram shows under "/" in this chat: the chat's own list, over the one for the app's language (English).
        var until = DateTime.UtcNow + SandboxBotHost.Deadline;
        global::Telegram.Bot.Types.BotCommand[] listed;
        while ((listed = await bot.GetMyCommands(global::Telegram.Bot.Types.BotCommandScope.Chat(user.Id), cancellationToken: ct)).Length == 0 && DateTime.UtcNow < until)
        {
            await Task.Delay(50, ct);
        }
        Assert.Equal(["start", "profile", "language", "cancel", "help"], listed.Select(c => c.Command));
        Assert.Equal("Головне меню", listed[0].Description);
    }

    async Task<IReadOnlyList<global::Telegram.Bot.Types.BotCommand>> WaitForCommandsAsync(HttpClient http, string language)
    {
        var bot = new global::Telegram.Bot.TelegramBotClient(new global::Telegram.Bot.TelegramBotClientOptions(host.Token, host.Sandbox.BaseUrl), http);
        var until = DateTime.UtcNow + SandboxBotHost.Deadline;
        while (true)
        {
            var commands = await bot.GetMyCommands(languageCode: language, cancellationToken: TestContext.Current.CancellationToken);
            if (commands.Length > 0 || DateTime.UtcNow > until)
            {
                return commands;
            }
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>
    /// Deletes the user's conversation hash once the write of <paramref name="menu"/> has landed (it goes with the
    /// update's acknowledgement, after the message), as its TTL's end or an operator's clear does.
    /// </summary>
    async Task ForgetConversationAsync(Mesh.TelegramSandbox.Client.SandboxUser user, Mesh.TelegramSandbox.Client.SandboxChatMessage menu)
    {
        var db = redis.Connection.GetDatabase();
        var key = $"{host.KeyPrefix}conv:{user.Id}:{user.Id}";
        var version = SandboxBotHost.VersionOf(menu);
        await Until.TrueAsync(async () => (long?)await db.HashGetAsync(key, ConversationStore.MenuVersion) == version, $"the menu of version {version} to be stored");
        Assert.True(await db.KeyDeleteAsync(key));
    }

    async Task<Mesh.TelegramSandbox.Client.SandboxChatMessage> FillProfileUpToConfirmAsync(Mesh.TelegramSandbox.Client.SandboxUser user, string name)
    {
        var menu = await host.WaitForAsync(user, "Your profile", await host.SendAsync(user, "/profile"));
        await host.PressAsync(user, menu, "✏️");
        await host.WaitForAsync(user, "Step 1 of 4", menu.MessageId);
        await host.WaitForAsync(user, "Step 2 of 4", await host.SendAsync(user, name));
        await host.WaitForAsync(user, "Step 3 of 4", await host.SendAsync(user, "Oslo"));
        return await host.WaitForAsync(user, "Step 4 of 4", await host.SendAsync(user, "Hi"));
    }
}
