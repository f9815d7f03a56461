using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Mesh.Testing;
using Mesh.Testing.Services;
using Mesh.TelegramSandbox.Client;

namespace Mesh.Bot.Tests.Integration;

/// <summary>
/// The whole update path with real processes and the sandbox as Telegram: the sandbox delivers to the gateway's webhook
/// (secret header) → gRPC → BotService → Redis → worker → sendMessage back to the sandbox, where the user reads it.
/// Where a test plays Telegram itself (re-deliveries, concurrent deliveries) it posts raw updates to the gateway.
/// One sandbox, gateway and bot for the class (its tests run one at a time: the fault switch is the sandbox's), one key
/// prefix; each test its own users.
/// </summary>
public sealed class UpdatePathTests(RedisServerFixture redis, UpdatePathTests.Host host) : IClassFixture<UpdatePathTests.Host>
{
    readonly SandboxMesh mesh = host.Mesh;

    static CancellationToken Ct => TestContext.Current.CancellationToken;

    public sealed class Host(RedisServerFixture redis) : IAsyncLifetime
    {
        public SandboxMesh Mesh { get; private set; } = null!;

        // A wider reorder window than the mesh's 50 ms: on a loaded test machine two concurrent posts of one chat can
        // reach the intake further apart than in production, and the ordering test must not depend on the machine's load.
        public async ValueTask InitializeAsync() =>
            Mesh = await SandboxMesh.StartAsync(redis.ConnectionString, RedisServerFixture.NewKeyPrefix("updatepath"), gateway: true,
                botSettings: new Dictionary<string, string?> { ["Bot:ReorderWindow"] = "00:00:00.500" });

        public async ValueTask DisposeAsync() => await Mesh.DisposeAsync();
    }

    /// <summary>A new user writes /help and gets the answer: the chat exists in the sandbox from then on, as in Telegram.</summary>
    async Task<SandboxUser> OpenChatAsync(string firstName = "Ada")
    {
        var user = SandboxMesh.NewUser(firstName);
        var sent = await mesh.SendAsync(user, "/help", Ct);
        await mesh.WaitForReplyAsync(user.Id, "/start", sent, Ct);
        return user;
    }

    async Task<List<SandboxChatMessage>> BotMessagesAsync(long chat) => [.. await mesh.Client.GetBotMessagesAsync(mesh.Token, chat, Ct)];

    static bool IsGreeting(SandboxChatMessage message) => message.Text.StartsWith("Hello,", StringComparison.Ordinal);

    [Fact]
    public async Task Start_typed_in_the_chat_is_answered_with_a_greeting_by_first_name_and_the_main_menu()
    {
        var user = SandboxMesh.NewUser("Grace");

        var sent = await mesh.SendAsync(user, "/start", Ct);

        var reply = await mesh.WaitForReplyAsync(user.Id, "Grace", sent, Ct);
        Assert.True(IsGreeting(reply), reply.Text);
        var buttons = reply.InlineKeyboard?.SelectMany(row => row).ToList();
        Assert.NotNull(buttons);
        Assert.True(buttons.Count >= 2, $"{buttons.Count} buttons");
        Assert.Single(await BotMessagesAsync(user.Id));
    }

    [Fact]
    public async Task Help_and_unknown_commands_are_answered()
    {
        var user = SandboxMesh.NewUser();

        var help = await mesh.SendAsync(user, "/help", Ct);
        await mesh.WaitForReplyAsync(user.Id, "/start", help, Ct);
        var unknown = await mesh.SendAsync(user, "/frobnicate", Ct);
        await mesh.WaitForReplyAsync(user.Id, "don't know", unknown, Ct);

        Assert.Equal(2, (await BotMessagesAsync(user.Id)).Count);
    }

    [Fact]
    public async Task Update_delivered_five_times_at_once_and_again_after_it_was_handled_is_answered_once()
    {
        var user = await OpenChatAsync();
        var update = SandboxMesh.TextUpdate(SandboxMesh.NewUpdateId(), user.Id, "/start");

        var statuses = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => mesh.PostUpdateAsync(update)));
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        await mesh.WaitForReplyAsync(user.Id, "Hello,", ct: Ct);

        // Delivered again after it was handled: still acknowledged (or Telegram would keep re-delivering), never answered.
        Assert.Equal(HttpStatusCode.OK, await mesh.PostUpdateAsync(update));
        // A later update of the chat (higher update_id: handled after anything queued before it) marks the end.
        Assert.Equal(HttpStatusCode.OK, await mesh.PostUpdateAsync(SandboxMesh.TextUpdate(SandboxMesh.NewUpdateId(), user.Id, "/frobnicate")));
        await mesh.WaitForReplyAsync(user.Id, "don't know", ct: Ct);

        var messages = await BotMessagesAsync(user.Id);
        Assert.Single(messages, IsGreeting);
        Assert.Equal(3, messages.Count); // the /help answer, one greeting, the "don't know" answer
    }

    [Fact]
    public async Task Fifty_updates_of_one_chat_delivered_concurrently_are_answered_in_update_id_order()
    {
        var user = await OpenChatAsync();
        var ids = Enumerable.Range(0, 50).Select(_ => SandboxMesh.NewUpdateId()).ToList();

        // Posted concurrently in increasing update_id order, as Telegram may (it does not wait for one to be answered).
        var posts = new List<Task<HttpStatusCode>>();
        for (var i = 0; i < ids.Count; i++)
        {
            posts.Add(mesh.PostUpdateAsync(SandboxMesh.TextUpdate(ids[i], user.Id, "/start", firstName: $"N{i:D2}")));
            await Task.Yield();
        }
        Assert.All(await Task.WhenAll(posts), s => Assert.Equal(HttpStatusCode.OK, s));

        var chat = await mesh.Client.WaitForAsync(mesh.Token, user.Id,
            state => state.Messages.Count(m => m.FromBot && IsGreeting(m)) >= 50 ? state : null, SandboxMesh.Deadline, Ct);
        var names = chat.Messages.Where(m => m.FromBot && IsGreeting(m)).OrderBy(m => m.MessageId).Select(m => m.Text.Split(',', '!')[1].Trim()).ToList();
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"N{i:D2}"), names);
    }

    [Fact]
    public async Task A_service_message_gets_no_answer_and_what_the_user_writes_next_does()
    {
        var user = await OpenChatAsync();
        var before = await BotMessagesAsync(user.Id);
        // Telegram writes these into a private chat itself: the user allowed the bot to write, a message was pinned.
        foreach (var service in new object[] { new { write_access_allowed = new { from_request = true } }, new { pinned_message = new { message_id = 1, date = 0, chat = new { id = user.Id, type = "private" } } } })
        {
            var update = System.Text.Json.Nodes.JsonNode.Parse(SandboxMesh.TextUpdate(SandboxMesh.NewUpdateId(), user.Id, ""))!;
            update["message"]!.AsObject().Remove("text");
            foreach (var (key, value) in System.Text.Json.Nodes.JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(service))!.AsObject().ToList())
            {
                update["message"]![key] = value!.DeepClone();
            }
            Assert.Equal(HttpStatusCode.OK, await mesh.PostUpdateAsync(update.ToJsonString()));
        }

        // In order: had either been answered, its answer would come before this one's.
        Assert.Equal(HttpStatusCode.OK, await mesh.PostUpdateAsync(SandboxMesh.TextUpdate(SandboxMesh.NewUpdateId(), user.Id, "/help")));
        await mesh.WaitForReplyAsync(user.Id, "/start", before[^1].MessageId, Ct);
        Assert.Equal(before.Count + 1, (await BotMessagesAsync(user.Id)).Count);
    }

    [Fact]
    public async Task Twenty_users_starting_at_once_are_all_greeted()
    {
        var users = Enumerable.Range(0, 20).Select(i => SandboxMesh.NewUser($"U{i:D2}")).ToList();

        // The sandbox delivers them to the gateway concurrently (up to max_connections), as Telegram does.
        var sent = await Task.WhenAll(users.Select(user => mesh.SendAsync(user, "/start", Ct)));

        var replies = await Task.WhenAll(users.Select((user, i) => mesh.WaitForReplyAsync(user.Id, $"Hello, U{i:D2}!", sent[i], Ct)));
        Assert.Equal(20, replies.Length);
        foreach (var user in users)
        {
            Assert.Single(await BotMessagesAsync(user.Id));
        }
    }

    [Fact]
    public async Task Update_whose_reply_Telegram_refuses_is_dead_lettered_with_Telegram_s_error()
    {
        var never = SandboxMesh.NewUser(); // a chat Telegram does not know (a group the bot left, a user never seen)
        var db = redis.Connection.GetDatabase();

        Assert.Equal(HttpStatusCode.OK, await mesh.PostUpdateAsync(SandboxMesh.TextUpdate(SandboxMesh.NewUpdateId(), never.Id, "/start")));

        await Until.TrueAsync(async () => (await db.ListRangeAsync(mesh.KeyPrefix + "deadletter")).Any(l => l.ToString().StartsWith($"{never.Id} ", StringComparison.Ordinal)),
            SandboxMesh.Deadline, "/start to be dead-lettered");
        var letter = Assert.Single(await db.ListRangeAsync(mesh.KeyPrefix + "deadletter"), l => l.ToString().StartsWith($"{never.Id} ", StringComparison.Ordinal)).ToString();
        // What the operator reads under Dead letters: why, not "failed after retries".
        Assert.Contains($"TelegramSendFailed: Sending to chat {never.Id} failed: Telegram refused sendMessage with 400 Bad Request: chat not found.", letter);
    }

    [Fact]
    public async Task Update_whose_reply_keeps_failing_is_dead_lettered_the_chat_moves_on_and_a_requeue_answers_it()
    {
        var user = await OpenChatAsync();
        var db = redis.Connection.GetDatabase();
        await mesh.Client.SetFaultAsync(500, TimeSpan.FromSeconds(60), ct: Ct); // Telegram down: every try of /start fails (Bot:MaxAttempts = 3)
        try
        {
            Assert.Equal(HttpStatusCode.OK, await mesh.PostUpdateAsync(SandboxMesh.TextUpdate(SandboxMesh.NewUpdateId(), user.Id, "/start")));
            Assert.Equal(HttpStatusCode.OK, await mesh.PostUpdateAsync(SandboxMesh.TextUpdate(SandboxMesh.NewUpdateId(), user.Id, "/frobnicate")));

            await Until.TrueAsync(async () => (await db.ListRangeAsync(mesh.KeyPrefix + "deadletter")).Any(l => l.ToString().StartsWith($"{user.Id} ", StringComparison.Ordinal)),
                SandboxMesh.Deadline, "/start to be dead-lettered");
        }
        finally
        {
            await mesh.Client.ClearFaultAsync(Ct);
        }

        await mesh.WaitForReplyAsync(user.Id, "don't know", ct: Ct);
        Assert.DoesNotContain(await BotMessagesAsync(user.Id), IsGreeting);
        var letter = Assert.Single(await db.ListRangeAsync(mesh.KeyPrefix + "deadletter"), l => l.ToString().StartsWith($"{user.Id} ", StringComparison.Ordinal)).ToString();
        Assert.Contains("TelegramSendFailed", letter);

        // The operator sees it, and once Telegram is back, has it handled again: the user is greeted after all.
        using var http = new HttpClient { BaseAddress = new Uri(mesh.Bot.HttpUrl) };
        var listed = (await http.GetFromJsonAsync<JsonObject>("/operations/deadletters?limit=1000", Ct))!;
        var shown = Assert.Single(listed["newest"]!.AsArray(), d => (string?)d!["chat_id"] == user.Id.ToString(CultureInfo.InvariantCulture))!;
        Assert.Equal("update", (string?)shown["kind"]);
        Assert.Contains("after 3 tries: TelegramSendFailed", (string?)shown["note"]);
        using (var requeue = await http.PostAsync($"/operations/deadletters/requeue?chat={user.Id}", null, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, requeue.StatusCode);
            Assert.Equal(1, (long)(await requeue.Content.ReadFromJsonAsync<JsonObject>(Ct))!["count"]!);
        }
        await mesh.WaitForReplyAsync(user.Id, "Hello, Ada!", ct: Ct);
        Assert.DoesNotContain(await db.ListRangeAsync(mesh.KeyPrefix + "deadletter"), l => l.ToString().StartsWith($"{user.Id} ", StringComparison.Ordinal));
        using var badLimit = await http.GetAsync("/operations/deadletters?limit=0", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, badLimit.StatusCode);
    }

    [Fact]
    public async Task Reply_to_a_user_who_blocked_the_bot_is_refused_once_and_the_user_is_recorded_unreachable()
    {
        var user = await OpenChatAsync();
        await mesh.Client.BlockAsync(mesh.Token, user.Id, Ct);
        var sendsBefore = (await mesh.Client.GetCallsAsync(mesh.Token, Ct)).Of("sendMessage");
        var db = redis.Connection.GetDatabase();
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        // An update Telegram delivers after the block (sent just before it): the bot's answer gets 403.
        Assert.Equal(HttpStatusCode.OK, await mesh.PostUpdateAsync(SandboxMesh.TextUpdate(SandboxMesh.NewUpdateId(), user.Id, "/start")));

        await Until.TrueAsync(() => db.HashExists(mesh.KeyPrefix + "unreachable", user.Id), SandboxMesh.Deadline, "the user to be recorded unreachable");
        await Until.TrueAsync(() => !db.KeyExists(mesh.KeyPrefix + "q:" + user.Id), SandboxMesh.Deadline, "the chat's queue to drain");
        var refusedAt = (long)await db.HashGetAsync(mesh.KeyPrefix + "unreachable", user.Id);
        Assert.InRange(refusedAt, before, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Assert.Equal(sendsBefore + 1, (await mesh.Client.GetCallsAsync(mesh.Token, Ct)).Of("sendMessage")); // no retry
        Assert.Single(await BotMessagesAsync(user.Id)); // only the /help answer from before the block
        // No crash: the bot goes on answering.
        Assert.False(mesh.Bot.HasExited);
        await OpenChatAsync();
    }

    [Fact]
    public async Task A_user_who_blocks_the_bot_is_recorded_unreachable_and_no_longer_once_they_unblock_it()
    {
        var user = await OpenChatAsync();
        var db = redis.Connection.GetDatabase();

        await mesh.Client.BlockAsync(mesh.Token, user.Id, Ct);
        await Until.TrueAsync(() => db.HashExists(mesh.KeyPrefix + "unreachable", user.Id), SandboxMesh.Deadline, "the user to be recorded unreachable");

        await mesh.Client.UnblockAsync(mesh.Token, user.Id, Ct);
        await Until.TrueAsync(() => !db.HashExists(mesh.KeyPrefix + "unreachable", user.Id), SandboxMesh.Deadline, "the mark to be taken away");
        await OpenChatAsync(); // and the bot answers as before
        Assert.Single(await BotMessagesAsync(user.Id)); // nothing was said about the block
    }

    [Fact]
    public async Task Reply_refused_with_429_is_sent_once_no_earlier_than_retry_after()
    {
        var user = await OpenChatAsync();
        var retryAfter = TimeSpan.FromSeconds(2);
        await mesh.Client.SetFaultAsync(429, TimeSpan.FromSeconds(30), (int)retryAfter.TotalSeconds, Ct);
        var elapsed = Stopwatch.StartNew();
        int sent;
        try
        {
            sent = await mesh.SendAsync(user, "/start", Ct);
            // The bot logs each 429 it honours (a warning): from then on Telegram would accept the retry.
            await Until.TrueAsync(() => mesh.Bot.Output.Contains($"rate-limited sending to chat {user.Id}", StringComparison.Ordinal),
                SandboxMesh.Deadline, "the bot to get a 429");
        }
        finally
        {
            await mesh.Client.ClearFaultAsync(Ct);
        }

        await mesh.WaitForReplyAsync(user.Id, "Hello,", sent, Ct);
        Assert.True(elapsed.Elapsed >= retryAfter, $"answered {elapsed.Elapsed} after the user wrote, retry_after {retryAfter}");
        Assert.Single(await BotMessagesAsync(user.Id), IsGreeting);
        Assert.False(mesh.Bot.HasExited);
    }
}
