using Mesh.Testing;
using Mesh.TelegramSandbox.Client;

namespace Mesh.Bot.Tests.Conversations;

/// <summary>
/// A user edits, in Telegram, a message that answered the profile dialog: the answer is replaced in the draft while the
/// dialog goes on, and any other edit gets no reaction. One bot for the class; each test its own user.
/// </summary>
public sealed class EditedAnswerTests(RedisServerFixture redis, EditedAnswerTests.Bot bot) : IClassFixture<EditedAnswerTests.Bot>
{
    readonly SandboxBotHost host = bot.Host;

    static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The class's one sandbox and bot.</summary>
    public sealed class Bot(RedisServerFixture redis) : SandboxBotFixture(redis, "edits");

    [Theory]
    [InlineData("en", "Step 2 of 4", "Updated: name is now John.", "Name: John\n")]
    [InlineData("ru", "Шаг 2 из 4", "Обновлено: теперь имя — John.", "Имя: John\n")]
    [InlineData("uk", "Крок 2 з 4", "Оновлено: тепер ім'я — John.", "Ім'я: John\n")]
    public async Task Edited_name_replaces_the_answer_the_bot_says_so_and_the_dialog_goes_on_with_it(string language, string askCity, string notice, string summaryName)
    {
        var user = SandboxBotHost.NewUser(languageCode: language);
        await StartDialogAsync(user);
        var name = await host.SendAsync(user, "Jonh");
        var question = await host.WaitForAsync(user, askCity, name);

        await host.Client.EditTextAsync(host.Token, user, name, "John", Ct);

        var said = await host.WaitForAsync(user, notice, question.MessageId);
        Assert.Equal(notice, said.Text);
        var city = await host.SendAsync(user, "London");
        await host.WaitForAsync(user, "3", city);
        var about = await host.SendAsync(user, "Engineer");
        var summary = await host.WaitForAsync(user, "4", about);
        Assert.Contains(summaryName, summary.Text);
        Assert.DoesNotContain("Jonh", summary.Text);
    }

    [Fact]
    public async Task Edit_at_the_summary_redraws_it_in_place_and_save_saves_the_new_value()
    {
        var user = SandboxBotHost.NewUser();
        var (_, city, _, summary) = await FillUpToSummaryAsync(user, "Ada", "Lodnon", "Mathematician");

        await host.Client.EditTextAsync(host.Token, user, city, "London", Ct);

        var said = await host.WaitForAsync(user, "Updated: city is now London.", summary.MessageId);
        var redrawn = await host.WaitForMessageAsync(user, summary.MessageId, m => m.Text.Contains("City: London", StringComparison.Ordinal));
        Assert.True(redrawn.Edited);
        Assert.Equal("Step 4 of 4. Is this right?\n\nName: Ada\nCity: London\nAbout: Mathematician", redrawn.Text);
        var bots = await host.Client.GetBotMessagesAsync(host.Token, user.Id, Ct);
        Assert.Single(bots, m => m.Text.StartsWith("Step 4 of 4", StringComparison.Ordinal)); // redrawn, not sent again
        Assert.Equal(said.MessageId, bots[^1].MessageId); // the notice is the last word

        Assert.Equal("✅ Profile saved.", (await host.PressAsync(user, redrawn, "✅ Save")).Text);
        var saved = await host.WaitForMessageAsync(user, summary.MessageId, m => m.Text.Contains("Your profile", StringComparison.Ordinal));
        Assert.Contains("City: London\n", saved.Text);
    }

    [Fact]
    public async Task Edit_of_an_earlier_answer_while_the_dialog_asks_a_later_question_keeps_it_there()
    {
        var user = SandboxBotHost.NewUser();
        await StartDialogAsync(user);
        var name = await host.SendAsync(user, "Ada");
        await host.WaitForAsync(user, "Step 2 of 4", name);
        var city = await host.SendAsync(user, "London");
        var askAbout = await host.WaitForAsync(user, "Step 3 of 4", city);

        await host.Client.EditTextAsync(host.Token, user, name, "Grace", Ct);
        await host.WaitForAsync(user, "Updated: name is now Grace.", askAbout.MessageId);

        // Still at "a few words": the next text answers it, not the name or the city.
        var summary = await host.WaitForAsync(user, "Step 4 of 4", await host.SendAsync(user, "Admiral"));
        Assert.EndsWith("Name: Grace\nCity: London\nAbout: Admiral", summary.Text);
    }

    [Fact]
    public async Task Edit_too_long_gets_the_steps_error_and_the_answer_stays()
    {
        var user = SandboxBotHost.NewUser();
        var (name, _, _, summary) = await FillUpToSummaryAsync(user, "Ada", "Oslo", "Hi");

        await host.Client.EditTextAsync(host.Token, user, name, new string('a', 65), Ct);

        var error = await host.WaitForAsync(user, "That is too long", summary.MessageId);
        Assert.Equal("That is too long: 64 characters at most, please.", error.Text);
        Assert.False((await host.MessageAsync(user, summary.MessageId)).Edited);
        Assert.Equal("✅ Profile saved.", (await host.PressAsync(user, summary, "✅ Save")).Text);
        var saved = await host.WaitForMessageAsync(user, summary.MessageId, m => m.Text.Contains("Your profile", StringComparison.Ordinal));
        Assert.Contains("Name: Ada\n", saved.Text);
    }

    [Fact]
    public async Task Answer_refused_as_too_long_and_edited_to_fit_answers_its_step()
    {
        var user = SandboxBotHost.NewUser();
        await StartDialogAsync(user);
        var name = await host.SendAsync(user, new string('a', 65));
        var refused = await host.WaitForAsync(user, "That is too long", name);

        await host.Client.EditTextAsync(host.Token, user, name, new string('b', 70), Ct); // still too long
        var again = await host.WaitForAsync(user, "That is too long", refused.MessageId);
        await host.Client.EditTextAsync(host.Token, user, name, "John", Ct);

        var question = await host.WaitForAsync(user, "", again.MessageId);
        Assert.StartsWith("Step 2 of 4", question.Text);
        var city = await host.SendAsync(user, "Oslo");
        await host.WaitForAsync(user, "Step 3 of 4", city);
        var summary = await host.WaitForAsync(user, "Step 4 of 4", await host.SendAsync(user, "Hi"));
        Assert.Contains("Name: John\n", summary.Text);
    }

    [Fact]
    public async Task Refused_answer_edited_after_the_step_was_answered_gets_no_reaction()
    {
        var user = SandboxBotHost.NewUser();
        await StartDialogAsync(user);
        var refusedName = await host.SendAsync(user, new string('a', 65));
        await host.WaitForAsync(user, "That is too long", refusedName);
        var name = await host.SendAsync(user, "Ada");
        await host.WaitForAsync(user, "Step 2 of 4", name);

        await host.Client.EditTextAsync(host.Token, user, refusedName, "John", Ct);

        var city = await host.SendAsync(user, "Oslo");
        var reply = await host.WaitForAsync(user, "", city);
        Assert.StartsWith("Step 3 of 4", reply.Text); // nothing came between: the edit got no reaction
        var summary = await host.WaitForAsync(user, "Step 4 of 4", await host.SendAsync(user, "Hi"));
        Assert.Contains("Name: Ada\n", summary.Text);
    }

    [Fact]
    public async Task Edits_of_other_messages_get_no_reaction_and_change_nothing()
    {
        var user = SandboxBotHost.NewUser();
        var start = await host.SendAsync(user, "/start");
        await host.WaitForAsync(user, "What would you like to do?", start);
        var outside = await host.SendAsync(user, "hello");
        await host.WaitForAsync(user, "I didn't understand", outside);
        var (name, _, _, summary) = await FillUpToSummaryAsync(user, "Ada", "Oslo", "Hi");
        await host.PressAsync(user, summary, "✅ Save");
        await host.WaitForMessageAsync(user, summary.MessageId, m => m.Text.Contains("Your profile", StringComparison.Ordinal));
        // A new round of the dialog, cancelled: its answer is not the draft's either.
        await StartDialogAsync(user);
        var dropped = await host.SendAsync(user, "Grace");
        await host.WaitForAsync(user, "Step 2 of 4", dropped);
        var cancel = await host.SendAsync(user, "/cancel");
        await host.WaitForAsync(user, "Cancelled.", cancel);
        var before = (await host.Client.GetBotMessagesAsync(host.Token, user.Id, Ct)).Count;

        await host.Client.EditTextAsync(host.Token, user, start, "/help", Ct);  // a command
        await host.Client.EditTextAsync(host.Token, user, outside, "hello again", Ct); // text outside a dialog
        await host.Client.EditTextAsync(host.Token, user, name, "John", Ct); // an answer of a dialog saved
        await host.Client.EditTextAsync(host.Token, user, dropped, "Hopper", Ct); // an answer of a dialog cancelled

        // The chat's updates are handled in order: once /profile is answered, the edits before it were handled.
        var profile = await host.WaitForAsync(user, "Your profile", await host.SendAsync(user, "/profile"));
        Assert.Equal(before + 1, (await host.Client.GetBotMessagesAsync(host.Token, user.Id, Ct)).Count);
        Assert.Contains("Name: Ada\n", profile.Text);
    }

    [Fact]
    public async Task Edit_in_a_new_round_after_start_over_ignores_the_earlier_rounds_answers()
    {
        var user = SandboxBotHost.NewUser();
        var (name, _, _, summary) = await FillUpToSummaryAsync(user, "Ada", "Oslo", "Hi");
        await host.PressAsync(user, summary, "↩️ Start over");
        await host.WaitForMessageAsync(user, summary.MessageId, m => m.Text.StartsWith("Step 1 of 4", StringComparison.Ordinal));

        await host.Client.EditTextAsync(host.Token, user, name, "John", Ct); // the first round's name

        var next = await host.SendAsync(user, "Grace");
        var reply = await host.WaitForAsync(user, "", next);
        Assert.StartsWith("Step 2 of 4", reply.Text); // nothing came between: the edit got no reaction
    }

    [Fact]
    public async Task Dialog_stored_before_answers_kept_their_messages_goes_on_and_its_new_answers_can_be_edited()
    {
        var user = SandboxBotHost.NewUser();
        // The state as the bot before this change wrote it at the third question: the draft without message ids.
        var db = redis.Connection.GetDatabase();
        await db.HashSetAsync($"{host.KeyPrefix}conv:{user.Id}:{user.Id}",
        [
            new("v", 3), new("s", "profile.about"), new("d", """{"name":"Ada","city":"Lodnon","about":null}"""),
            new("t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()),
        ]);

        var about = await host.SendAsync(user, "Mathematician");
        var summary = await host.WaitForAsync(user, "Step 4 of 4", about);
        Assert.EndsWith("Name: Ada\nCity: Lodnon\nAbout: Mathematician", summary.Text);

        await host.Client.EditTextAsync(host.Token, user, about, "Mathematician, poet", Ct);
        await host.WaitForAsync(user, "Updated: about you is now “Mathematician, poet”.", summary.MessageId);
        var redrawn = await host.WaitForMessageAsync(user, summary.MessageId, m => m.Edited);
        Assert.EndsWith("Name: Ada\nCity: Lodnon\nAbout: Mathematician, poet", redrawn.Text);
    }

    async Task StartDialogAsync(SandboxUser user)
    {
        var menu = await host.WaitForAsync(user, "", await host.SendAsync(user, "/profile"));
        await host.PressAsync(user, menu, "✏️");
        await host.WaitForAsync(user, "", menu.MessageId); // the first question
    }

    /// <summary>Fills in the three answers; their messages' ids and the summary.</summary>
    async Task<(int Name, int City, int About, SandboxChatMessage Summary)> FillUpToSummaryAsync(SandboxUser user, string name, string city, string about)
    {
        await StartDialogAsync(user);
        var nameId = await host.SendAsync(user, name);
        await host.WaitForAsync(user, "Step 2 of 4", nameId);
        var cityId = await host.SendAsync(user, city);
        await host.WaitForAsync(user, "Step 3 of 4", cityId);
        var aboutId = await host.SendAsync(user, about);
        return (nameId, cityId, aboutId, await host.WaitForAsync(user, "Step 4 of 4", aboutId));
    }
}
