using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Mesh.Bot.Conversations;
using Mesh.TelegramSandbox.Client;
using Mesh.Testing;
using Microsoft.Extensions.Options;

namespace Mesh.Bot.Tests.Conversations;

/// <summary>
/// The operators' "clear stuck conversations" (the bot's <c>/operations/conversations/clear</c>, which the dashboard's
/// command calls) as users meet it in the sandbox: a user cut off in a dialog is told, once, in their language; a user
/// with a menu keeps it.
/// </summary>
public sealed class ClearConversationsTests(RedisServerFixture redis) : IAsyncLifetime
{
    SandboxBotHost host = null!;
    HttpClient http = null!;

    static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        host = await SandboxBotHost.StartAsync(redis.ConnectionString, RedisServerFixture.NewKeyPrefix("clear"));
        http = new HttpClient { BaseAddress = new Uri(host.Bot.HttpUrl), Timeout = TimeSpan.FromSeconds(60) };
    }

    public async ValueTask DisposeAsync()
    {
        http.Dispose();
        await host.DisposeAsync();
    }

    async Task<(long DialogsReset, long UsersTold)> ClearAsync()
    {
        using var response = await http.PostAsync("/operations/conversations/clear", null, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!;
        return ((long)body["dialogs_reset"]!, (long)body["users_told"]!);
    }

    /// <summary>The user opens the profile dialog and answers its first question; returns once its second step is stored.</summary>
    async Task AnswerFirstQuestionAsync(SandboxUser user, string name, string profile, string secondQuestion)
    {
        var menu = await host.WaitForAsync(user, profile, await host.SendAsync(user, "/profile"));
        var fill = menu.InlineKeyboard!.SelectMany(row => row).First(b => b.Text.StartsWith("✏️", StringComparison.Ordinal));
        await host.Client.PressButtonAsync(host.Token, user, menu.MessageId, fill.CallbackData!, Ct);
        await host.WaitForAsync(user, "1 ", menu.MessageId); // "Step 1 of 4", in the user's language
        await host.WaitForAsync(user, secondQuestion, await host.SendAsync(user, name));
        var db = redis.Connection.GetDatabase();
        await Until.TrueAsync(async () => (string?)await db.HashGetAsync($"{host.KeyPrefix}conv:{user.Id}:{user.Id}", "s") == "profile.city",
            "the dialog's second step to be stored");
    }

    async Task<int> CountAsync(SandboxUser user, string text) =>
        (await host.Client.GetBotMessagesAsync(host.Token, user.Id, Ct)).Count(m => m.Text.Contains(text, StringComparison.Ordinal));

    [Fact]
    public async Task A_user_cut_off_in_a_dialog_is_told_once_in_their_language_and_a_user_s_menu_keeps_working()
    {
        var inDialog = SandboxBotHost.NewUser("Oksana", "ru");
        var inMenu = SandboxBotHost.NewUser("Ada");
        await AnswerFirstQuestionAsync(inDialog, "Оксана", "Ваш профиль", "Шаг 2 из 4");
        var menu = await host.WaitForAsync(inMenu, "What would you like to do?", await host.SendAsync(inMenu, "/start"));
        var db = redis.Connection.GetDatabase();
        var menuKey = $"{host.KeyPrefix}conv:{inMenu.Id}:{inMenu.Id}";
        await Until.TrueAsync(async () => await db.HashExistsAsync(menuKey, ConversationStore.MenuVersion), "the menu to be stored");
        var menuHash = await db.HashGetAllAsync(menuKey);

        var first = await ClearAsync();
        var second = await ClearAsync();

        Assert.Equal((1, 1), first);
        Assert.Equal((0, 0), second);
        const string Notice = "Поддержка сбросила незавершённое заполнение профиля. Отправьте /profile, чтобы начать заново.";
        var told = await host.WaitForAsync(inDialog, Notice);
        // The answer to the question cut off lands outside any dialog, after the notice.
        await host.WaitForAsync(inDialog, "Не понимаю", await host.SendAsync(inDialog, "Киев"));
        Assert.Equal(1, await CountAsync(inDialog, "Поддержка сбросила"));
        Assert.Null(told.InlineKeyboard);

        // The menu user's hash is as it was; the menu drawn before the clear is still the current one: a press is carried
        // out, not answered "outdated".
        Assert.Equal(menuHash.OrderBy(f => (string?)f.Name), (await db.HashGetAllAsync(menuKey)).OrderBy(f => (string?)f.Name));
        var answer = await host.PressAsync(inMenu, menu, "👤 Profile");
        Assert.Null(answer.Text);
        await host.WaitForMessageAsync(inMenu, menu.MessageId, m => m.Text.Contains("Your profile", StringComparison.Ordinal));
        Assert.Equal(0, await CountAsync(inMenu, "Support reset"));
        Assert.Equal(0, await CountAsync(inMenu, "outdated"));
    }

    [Fact]
    public async Task A_reset_whose_user_was_not_told_is_told_by_the_next_clear_and_only_once()
    {
        var user = SandboxBotHost.NewUser("Bohdan", "uk");
        await AnswerFirstQuestionAsync(user, "Богдан", "Ваш профіль", "Крок 2 з 4");
        // A clear that stopped after the reset, before its notices were queued (the process killed, say).
        var store = new ConversationStore(redis.Connection, Options.Create(new BotOptions { RedisKeyPrefix = host.KeyPrefix }),
            Options.Create(new ConversationOptions()), TimeProvider.System);
        await foreach (var page in store.ResetDialogsAsync(null, Ct))
        {
            Assert.Equal(1, page.Reset);
        }

        var retried = await ClearAsync();
        var again = await ClearAsync();

        Assert.Equal((0, 1), retried);
        Assert.Equal((0, 0), again);
        await host.WaitForAsync(user, "Підтримка скинула незавершене заповнення профілю. Надішліть /profile, щоб почати знову.");
        await host.WaitForAsync(user, "Не розумію", await host.SendAsync(user, "Київ"));
        Assert.Equal(1, await CountAsync(user, "Підтримка скинула"));
    }
}
