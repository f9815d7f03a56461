using Grpc.Core;
using Mesh.Bot.Grpc;
using Mesh.Bot.Telegram;
using Mesh.Bot.Tests.Conversations;
using Mesh.Bot.Updates;
using Mesh.Testing;
using Mesh.TelegramSandbox.Client;
using Microsoft.Extensions.Options;

namespace Mesh.Bot.Tests.Integration;

/// <summary>
/// <c>Notifications</c>, another service's way to message a user: the API queues into the chat's queue on the bot's
/// Redis and prefix, and a real BotService process delivers to the sandbox's chat; with the entries that cannot be
/// delivered, and the chat going on after them.
/// </summary>
public sealed class NotificationsTests(RedisServerFixture redis, NotificationsTests.Bot bot) : IClassFixture<NotificationsTests.Bot>
{
    readonly SandboxBotHost host = bot.Host;

    /// <summary>The class's one sandbox and bot (3 tries, 100 ms first retry delay).</summary>
    public sealed class Bot(RedisServerFixture redis) : SandboxBotFixture(redis, "notifications");

    IOptions<BotOptions> BotOptions => Options.Create(new BotOptions { RedisKeyPrefix = host.KeyPrefix });

    ChatQueue Queue => new(redis.Connection, BotOptions);

    // The API as the bot's gRPC server runs it, on the bot's Redis and prefix. It only queues and reads outcomes here
    // (the bot process delivers), so it has no sender of its own.
    NotificationDelivery Delivery => new(Queue, sender: null!, redis.Connection, BotOptions);

    NotificationsApi Api => new(Delivery);

    static SendNotificationRequest Request(string id, long chat, string text) => new() { NotificationId = id, ChatId = chat, Text = text };

    async Task<NotificationStatus> SendAsync(string id, long chat, string text) => (await Api.Send(Request(id, chat, text), null!)).Status;

    async Task<NotificationOutcome> OutcomeAsync(string id) =>
        (await Api.GetOutcome(new GetNotificationOutcomeRequest { NotificationId = id }, null!)).Outcome;

    /// <summary>A new user writes /help and gets the answer: the chat exists in the sandbox from then on, as in Telegram.</summary>
    async Task<SandboxUser> OpenChatAsync()
    {
        var user = SandboxBotHost.NewUser();
        await host.WaitForAsync(user, "/start", await host.SendAsync(user, "/help"));
        return user;
    }

    async Task<List<string>> BotTextsAsync(long chat) =>
        [.. (await host.Client.GetBotMessagesAsync(host.Token, chat, TestContext.Current.CancellationToken)).Select(m => m.Text)];

    [Fact]
    public async Task A_notification_reaches_the_user_once_and_is_recorded_sent()
    {
        var user = await OpenChatAsync();
        var id = $"support:ticket:{user.Id}:answer:1";

        Assert.Equal(NotificationStatus.Queued, await SendAsync(id, user.Id, "Your ticket was answered"));
        Assert.Equal(NotificationStatus.Duplicate, await SendAsync(id, user.Id, "Your ticket was answered"));

        await host.WaitForAsync(user, "Your ticket was answered");
        await Until.TrueAsync(async () => await OutcomeAsync(id) == NotificationOutcome.Sent, "the outcome to be recorded");
        // Anything queued after it is answered after it: by then a second copy would have been delivered.
        await host.WaitForAsync(user, "/start", await host.SendAsync(user, "/help"));
        Assert.Single(await BotTextsAsync(user.Id), t => t == "Your ticket was answered");
    }

    [Fact]
    public async Task Notifications_reach_the_user_in_the_order_they_were_sent()
    {
        var user = await OpenChatAsync();

        // Sent within the reorder window, with ids whose bytes sort the other way round.
        foreach (var n in new[] { 8, 9, 10, 11 })
        {
            Assert.Equal(NotificationStatus.Queued, await SendAsync($"support:ticket:{user.Id}:answer:{n}", user.Id, $"Answer {n}"));
        }

        await host.WaitForAsync(user, "Answer 11");
        Assert.Equal(["Answer 8", "Answer 9", "Answer 10", "Answer 11"], (await BotTextsAsync(user.Id)).Where(t => t.StartsWith("Answer", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("ticket:42\nanswer")]   // a line break: the entry's header is one line
    [InlineData("order 42 shipped")]    // spaces: the header's fields are space-separated
    [InlineData("заказ:42")]            // not ASCII
    [InlineData("tab\there")]
    public async Task Ids_that_cannot_go_into_the_queue_as_they_are_are_refused_and_nothing_is_queued(string id)
    {
        const long chat = 777_001;

        var refused = await Assert.ThrowsAsync<RpcException>(() => SendAsync(id, chat, "hello"));

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("notification_id", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(0, await redis.Connection.GetDatabase().SortedSetLengthAsync(Queue.QueueKey(chat.ToString())));
    }

    [Fact]
    public async Task A_text_is_measured_as_Telegram_measures_it_and_one_that_fits_one_message_reaches_the_user_whole()
    {
        var user = await OpenChatAsync();
        // 4,000 characters as Telegram counts them, 4,900 as written: the markup is not counted.
        var text = string.Concat(Enumerable.Repeat("<b>x</b>", 300)) + new string('y', 3700);
        var tooLong = new string('z', MessageText.MaxLength + 1);

        Assert.Equal(NotificationStatus.Queued, await SendAsync($"long:{user.Id}", user.Id, text));
        var refused = await Assert.ThrowsAsync<RpcException>(() => SendAsync($"too-long:{user.Id}", user.Id, tooLong));

        var delivered = await host.WaitForAsync(user, new string('y', 3700));
        Assert.Equal(new string('x', 300) + new string('y', 3700), delivered.Text);
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("longer than 4096 characters", refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_web_app_button_for_a_group_is_refused_and_nothing_is_queued()
    {
        const long group = -100_777_003;
        var request = Request("app:group", group, "Open the app");
        request.Buttons.Add(new ButtonRow { Buttons = { new Button { Text = "Open", WebAppUrl = "https://app.example/" } } });

        var refused = await Assert.ThrowsAsync<RpcException>(() => Api.Send(request, null!));

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("web_app_url", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(0, await redis.Connection.GetDatabase().SortedSetLengthAsync(Queue.QueueKey(group.ToString(System.Globalization.CultureInfo.InvariantCulture))));
    }

    [Fact]
    public async Task An_id_longer_than_200_characters_is_refused() =>
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(() => SendAsync(new string('a', 201), 777_002, "hello"))).StatusCode);

    [Fact]
    public async Task An_entry_that_cannot_be_read_is_dead_lettered_at_once_and_the_chat_goes_on()
    {
        var user = await OpenChatAsync();
        var chat = user.Id.ToString();
        // Written by hand, as a bug or an older version might have: a header whose first line ends inside the id.
        var db = redis.Connection.GetDatabase();
        await db.SortedSetAddAsync(Queue.QueueKey(chat), "n ticket:42\nanswer - 1700000000000\n{}", 0);
        await db.SortedSetAddAsync(host.KeyPrefix + "chats", chat, 0);

        await host.WaitForAsync(user, "/start", await host.SendAsync(user, "/help"));

        var dead = (await db.ListRangeAsync(Queue.DeadLetterKey)).Select(v => (string)v!).Single(e => e.StartsWith($"{chat} ", StringComparison.Ordinal));
        Assert.StartsWith($"{chat} unreadable entry: ", dead);
        Assert.EndsWith("\nn ticket:42\nanswer - 1700000000000\n{}", dead);
    }

    [Fact]
    public async Task A_notification_whose_delivery_keeps_failing_is_dead_lettered_and_recorded_failed()
    {
        var user = await OpenChatAsync();
        var id = $"billing:payment:{user.Id}:paid";
        await QueueUndeliverableAsync(id, user.Id, NotificationOutcome.Pending);

        var dead = await DeadLetterAsync(id);
        Assert.Equal(NotificationOutcome.Failed, await OutcomeAsync(id));
        Assert.StartsWith($"{user.Id} Notification {id} after 3 tries: InvalidProtocolBufferException", dead);
        await host.WaitForAsync(user, "/start", await host.SendAsync(user, "/help"));
    }

    [Fact]
    public async Task A_notification_given_up_on_after_it_was_sent_stays_recorded_sent()
    {
        var user = await OpenChatAsync();
        var id = $"billing:payment:{user.Id}:refunded";
        // Sent, and its acknowledgement lost every time (say, the worker died after each send): the outcome says sent.
        await QueueUndeliverableAsync(id, user.Id, NotificationOutcome.Sent);

        await DeadLetterAsync(id);
        Assert.Equal(NotificationOutcome.Sent, await OutcomeAsync(id));
    }

    /// <summary>Queues a notification whose payload is not a SendNotificationRequest (every try fails reading it), its outcome as given.</summary>
    async Task QueueUndeliverableAsync(string id, long chat, NotificationOutcome outcome)
    {
        Assert.True(await Queue.EnqueueAsync(NewEntry.Notification(id, chat.ToString(), QueuedEntry.HeaderPrefix(EntryKind.Notification, id, null), new byte[] { 0xFF, 0xFF })));
        await redis.Connection.GetDatabase().StringSetAsync(host.KeyPrefix + "notification:" + id, outcome.ToString());
    }

    /// <summary>The dead-letter entry of <paramref name="id"/>, once the bot has given up on it.</summary>
    async Task<string> DeadLetterAsync(string id)
    {
        string? dead = null;
        await Until.TrueAsync(async () => (dead = (await redis.Connection.GetDatabase().ListRangeAsync(Queue.DeadLetterKey))
            .Select(v => (string)v!).SingleOrDefault(e => e.Contains(id, StringComparison.Ordinal))) is not null, SandboxBotHost.Deadline, $"{id} to be given up on");
        return dead!;
    }
}
