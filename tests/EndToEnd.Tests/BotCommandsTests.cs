using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Mesh.TelegramSandbox.Client;
using Mesh.Testing.EndToEnd;
using Mesh.Testing.Services;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Mesh.EndToEnd.Tests;

/// <summary>The bot resource's dashboard commands, run the way the dashboard runs them (ResourceCommandService), doing what they say.</summary>
[Collection(MeshCollection.Name)]
public sealed class BotCommandsTests(MeshFixture mesh)
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    Task<ExecuteCommandResult> RunAsync(string command) =>
        mesh.Mesh.App.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync("bot", command, Ct);

    async Task<string?> SandboxWebhookAsync()
    {
        var botId = mesh.BotToken[..mesh.BotToken.IndexOf(':')];
        var bot = (await mesh.Sandbox.GetBotsAsync(Ct)).Single(b => b.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) == botId);
        return string.IsNullOrEmpty(bot.WebhookUrl) ? null : bot.WebhookUrl;
    }

    [Fact]
    public async Task Webhook_info_shows_the_gateway_webhook()
    {
        var result = await RunAsync(BotCommands.WebhookInfo);

        Assert.True(result.Success, result.Message);
        Assert.EndsWith("/telegram/webhook", result.Message);
        Assert.Equal(await SandboxWebhookAsync(), result.Message!["Webhook: ".Length..]);
    }

    [Fact]
    public async Task Delete_webhook_removes_it_from_telegram_and_set_webhook_puts_it_back()
    {
        var before = await SandboxWebhookAsync();
        Assert.NotNull(before);
        try
        {
            var deleted = await RunAsync(BotCommands.DeleteWebhook);

            Assert.True(deleted.Success, deleted.Message);
            Assert.Null(await SandboxWebhookAsync());
        }
        finally
        {
            var set = await RunAsync(BotCommands.SetWebhook);
            Assert.True(set.Success, set.Message);
        }
        Assert.Equal(before, await SandboxWebhookAsync());
    }

    [Fact]
    public async Task Clear_stuck_conversations_resets_a_dialog_keeps_the_menu_and_tells_the_user()
    {
        var user = new SandboxUser(Random.Shared.NextInt64(100_000, 900_000_000), "Taras", LanguageCode: "en");
        await mesh.Sandbox.SendTextAsync(mesh.BotToken, user, "/help", Ct);
        await mesh.Sandbox.WaitForBotMessageAsync(mesh.BotToken, user.Id, timeout: TimeSpan.FromSeconds(30), ct: Ct);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(await mesh.Mesh.GetConnectionStringAsync("redis"));
        var db = redis.GetDatabase();
        // A dialog of a kind the bot has no notice of its own for, stuck for five hours, beside the user's menu.
        var stuck = $"bot:conv:{user.Id}:{user.Id}";
        await db.HashSetAsync(stuck, [new("v", 3), new("s", "support.subject"), new("d", "{}"), new("t", DateTimeOffset.UtcNow.AddHours(-5).ToUnixTimeMilliseconds()),
            new("mv", 7), new("ms", "main")]);

        var result = await RunAsync(BotCommands.ClearConversations);

        Assert.True(result.Success, result.Message);
        Assert.Matches(@"^Reset \d+ dialogs?, told \d+ users?$", result.Message);
        Assert.Equal(["4", "", "", "main"], (await db.HashGetAsync(stuck, ["v", "s", "d", "ms"])).Select(v => (string?)v));
        await mesh.Sandbox.WaitForBotMessageAsync(mesh.BotToken, user.Id,
            m => m.Text == "Support reset the dialog you had not finished. Send /start to begin again.", TimeSpan.FromSeconds(30), ct: Ct);
    }

    [Fact]
    public async Task Dead_letters_are_listed_and_a_requeue_answers_the_user_after_all()
    {
        var user = new SandboxUser(Random.Shared.NextInt64(100_000, 900_000_000), "Taras", LanguageCode: "en");
        await mesh.Sandbox.SendTextAsync(mesh.BotToken, user, "/help", Ct);
        await mesh.Sandbox.WaitForBotMessageAsync(mesh.BotToken, user.Id, timeout: TimeSpan.FromSeconds(30), ct: Ct);
        // A /start the bot gave up on while Telegram was down, as the workers write it: '<chat> <note>\n<entry>'.
        await using var redis = await ConnectionMultiplexer.ConnectAsync(await mesh.Mesh.GetConnectionStringAsync("redis"));
        var updateId = SandboxMesh.NewUpdateId();
        await redis.GetDatabase().ListRightPushAsync("bot:deadletter",
            $"{user.Id} Update {updateId} after 5 tries: HttpRequestException: Telegram was down\nu {updateId} - {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}\n"
            + SandboxMesh.TextUpdate(updateId, user.Id, "/start", "Taras"));

        var listed = await RunAsync(BotCommands.DeadLetters);

        Assert.True(listed.Success, listed.Message);
        Assert.Matches(@"^\d+ dead letters?$", listed.Message);
        Assert.Contains($"\"chat_id\": \"{user.Id}\"", listed.Data?.Value);
        Assert.Contains("Telegram was down", listed.Data?.Value);

        var requeued = await RunAsync(BotCommands.RequeueDeadLetters);

        Assert.True(requeued.Success, requeued.Message);
        Assert.Matches(@"^Requeued [1-9]\d* dead letters?, \d+ left \(not readable, or no chat recorded\)$", requeued.Message);
        var greeting = await mesh.Sandbox.WaitForBotMessageAsync(mesh.BotToken, user.Id, m => m.Text.Contains("Taras", StringComparison.Ordinal),
            timeout: TimeSpan.FromSeconds(30), ct: Ct);
        Assert.NotNull(greeting.InlineKeyboard);
    }
}
