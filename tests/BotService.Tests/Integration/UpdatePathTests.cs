using System.Net;
using Mesh.Testing;
using Mesh.Testing.Services;

namespace Mesh.Bot.Tests.Integration;

/// <summary>
/// The whole update path with real processes: Telegram (a Bot API stand-in) → Gateway → gRPC → BotService → Redis →
/// worker → sendMessage back to the stand-in. One gateway and bot for the class, one key prefix; each test its own chats.
/// </summary>
public sealed class UpdatePathTests(RedisServerFixture redis) : IAsyncLifetime
{
    static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    static long nextUpdateId = 1000;
    UpdatePathHost mesh = null!;

    public async ValueTask InitializeAsync() =>
        mesh = await UpdatePathHost.StartAsync(redis.ConnectionString, RedisServerFixture.NewKeyPrefix("updatepath"));

    public async ValueTask DisposeAsync() => await mesh.DisposeAsync();

    static long NewUpdateId() => Interlocked.Increment(ref nextUpdateId);

    static long NewChat() => Random.Shared.NextInt64(1_000_000, 9_000_000_000);

    [Fact]
    public async Task Start_greets_by_first_name_with_the_main_menu()
    {
        var chat = NewChat();

        Assert.Equal(HttpStatusCode.OK, await mesh.PostUpdateAsync(UpdatePathHost.TextUpdate(NewUpdateId(), chat, "/start", firstName: "Grace")));

        await BotApiStandIn.WaitForAsync(() => mesh.Telegram.SentTo(chat).Any(), Deadline, "the greeting");
        var reply = Assert.Single(mesh.Telegram.SentTo(chat));
        Assert.Contains("Grace", reply.Text);
        var buttons = reply.ReplyMarkup?["inline_keyboard"]?.AsArray().SelectMany(row => row!.AsArray()).ToList();
        Assert.NotNull(buttons);
        Assert.True(buttons.Count >= 2);
    }

    [Fact]
    public async Task Help_and_unknown_commands_are_answered()
    {
        var chat = NewChat();

        await mesh.PostUpdateAsync(UpdatePathHost.TextUpdate(NewUpdateId(), chat, "/help"));
        await mesh.PostUpdateAsync(UpdatePathHost.TextUpdate(NewUpdateId(), chat, "/frobnicate"));

        await BotApiStandIn.WaitForAsync(() => mesh.Telegram.SentTo(chat).Count() == 2, Deadline, "two answers");
        var replies = mesh.Telegram.SentTo(chat).ToList();
        Assert.Contains("/start", replies[0].Text);
        Assert.Contains("don't know", replies[1].Text);
    }

    [Fact]
    public async Task Redelivered_update_is_answered_once()
    {
        var chat = NewChat();
        var update = UpdatePathHost.TextUpdate(NewUpdateId(), chat, "/start");

        var statuses = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => mesh.PostUpdateAsync(update)));
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        await BotApiStandIn.WaitForAsync(() => mesh.Telegram.SentTo(chat).Any(), Deadline, "the reply");

        // Delivered again after it was handled: still acknowledged, never answered again.
        Assert.Equal(HttpStatusCode.OK, await mesh.PostUpdateAsync(update));
        var marker = NewUpdateId();
        await mesh.PostUpdateAsync(UpdatePathHost.TextUpdate(marker, chat, "/help"));
        await BotApiStandIn.WaitForAsync(() => mesh.Telegram.SentTo(chat).Count() >= 2, Deadline, "the later /help");

        Assert.Equal(2, mesh.Telegram.SentTo(chat).Count());
        Assert.Single(mesh.Telegram.SentTo(chat), m => m.Text.Contains("Hello", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Updates_of_one_chat_are_handled_in_update_id_order()
    {
        var chat = NewChat();
        var first = NewUpdateId();
        for (var i = 1; i < 50; i++)
        {
            NewUpdateId();
        }
        // Sent concurrently but in increasing update_id order, as Telegram does (one at a time per chat is not guaranteed).
        var posts = new List<Task<HttpStatusCode>>();
        for (var i = 0; i < 50; i++)
        {
            posts.Add(mesh.PostUpdateAsync(UpdatePathHost.TextUpdate(first + i, chat, "/start", firstName: $"N{i:D2}")));
            await Task.Yield();
        }
        Assert.All(await Task.WhenAll(posts), s => Assert.Equal(HttpStatusCode.OK, s));

        await BotApiStandIn.WaitForAsync(() => mesh.Telegram.SentTo(chat).Count() == 50, Deadline, "50 answers");
        var names = mesh.Telegram.SentTo(chat).Select(m => m.Text.Split(',', '!')[1].Trim()).ToList();
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"N{i:D2}"), names);
    }

    [Fact]
    public async Task Twenty_chats_at_once_are_all_answered()
    {
        var chats = Enumerable.Range(0, 20).Select(_ => NewChat()).ToList();

        var statuses = await Task.WhenAll(chats.Select(chat => mesh.PostUpdateAsync(UpdatePathHost.TextUpdate(NewUpdateId(), chat, "/start"))));

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        await BotApiStandIn.WaitForAsync(() => chats.All(c => mesh.Telegram.SentTo(c).Count() == 1), Deadline, "20 greetings");
    }

    [Fact]
    public async Task Update_whose_handler_keeps_failing_is_dead_lettered_and_the_chat_moves_on()
    {
        var chat = NewChat();
        mesh.Telegram.Reject(chat, times: 3); // every try of the first update fails (Bot:MaxAttempts = 3)

        await mesh.PostUpdateAsync(UpdatePathHost.TextUpdate(NewUpdateId(), chat, "/start"));
        await mesh.PostUpdateAsync(UpdatePathHost.TextUpdate(NewUpdateId(), chat, "/help"));

        await BotApiStandIn.WaitForAsync(() => mesh.Telegram.SentTo(chat).Any(), Deadline, "the chat to move on");
        Assert.Contains("/start", Assert.Single(mesh.Telegram.SentTo(chat)).Text);
        var deadLetters = await redis.Connection.GetDatabase().ListRangeAsync(mesh.KeyPrefix + "deadletter");
        var letter = Assert.Single(deadLetters).ToString();
        Assert.Contains($"chat {chat}", letter);
        Assert.Contains("TelegramSendFailed", letter);
    }
}
