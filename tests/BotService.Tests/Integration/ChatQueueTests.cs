using System.Text;
using Mesh.Bot.Updates;
using Mesh.Testing;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Mesh.Bot.Tests.Integration;

public sealed class ChatQueueTests(RedisServerFixture redis)
{
    ChatQueue NewQueue(TimeSpan? lease = null, string? prefix = null) => new(redis.Connection, Options.Create(new BotOptions
    {
        RedisKeyPrefix = prefix ?? RedisServerFixture.NewKeyPrefix("chatqueue"),
        LeaseDuration = lease ?? TimeSpan.FromSeconds(30),
        ReorderWindow = TimeSpan.Zero,
    }));

    static Task<bool> EnqueueAsync(ChatQueue queue, long updateId, string chat = "42") =>
        queue.EnqueueAsync(NewEntry.Update(updateId, chat, QueuedEntry.HeaderPrefix(EntryKind.Update, updateId.ToString(), null), Encoding.UTF8.GetBytes($"{{\"update_id\":{updateId}}}")));

    static string IdOf(Head head) => QueuedEntry.Parse(head.Entry).Id;

    [Fact]
    public async Task Same_update_id_is_queued_once()
    {
        var queue = NewQueue();

        Assert.True(await EnqueueAsync(queue, 1));
        Assert.False(await EnqueueAsync(queue, 1));
        Assert.False(await EnqueueAsync(queue, 1, chat: "43"));

        Assert.Equal(1, (await queue.SampleAsync()).Depth);
    }

    [Fact]
    public async Task Update_ids_are_told_apart_across_the_seen_bitmaps_and_from_notifications()
    {
        var queue = NewQueue();
        long[] ids = [65_535, 65_536, 0, 9_000_000_123, -5];

        foreach (var id in ids)
        {
            Assert.True(await EnqueueAsync(queue, id), $"update {id} the first time");
        }
        foreach (var id in ids)
        {
            Assert.False(await EnqueueAsync(queue, id), $"update {id} again");
        }
        // A notification whose id reads like an update's is its own.
        Assert.True(await queue.EnqueueAsync(NewEntry.Notification("65536", "42", QueuedEntry.HeaderPrefix(EntryKind.Notification, "65536", null), new byte[] { 1 })));

        Assert.Equal(ids.Length + 1, (await queue.SampleAsync()).Depth);
    }

    [Fact]
    public async Task Seen_bitmap_lives_for_the_dedup_window_after_its_latest_update()
    {
        var queue = NewQueue();
        var db = redis.Connection.GetDatabase();
        var (bitmap, _) = queue.SeenUpdate(70_000);
        Assert.Equal(bitmap, queue.SeenUpdate(70_001).Key);

        await EnqueueAsync(queue, 70_000);
        var ttl = await db.KeyTimeToLiveAsync(bitmap);
        Assert.InRange(ttl!.Value, TimeSpan.FromHours(25) - TimeSpan.FromMinutes(1), TimeSpan.FromHours(25));

        // Hours later (the TTL run down), a new update in the same bitmap keeps it for another whole window…
        await db.KeyExpireAsync(bitmap, TimeSpan.FromSeconds(30));
        Assert.True(await EnqueueAsync(queue, 70_001));
        Assert.InRange((await db.KeyTimeToLiveAsync(bitmap))!.Value, TimeSpan.FromHours(25) - TimeSpan.FromMinutes(1), TimeSpan.FromHours(25));

        // …and a re-delivered one does not (it marks nothing new).
        await db.KeyExpireAsync(bitmap, TimeSpan.FromSeconds(30));
        Assert.False(await EnqueueAsync(queue, 70_000));
        Assert.InRange((await db.KeyTimeToLiveAsync(bitmap))!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Update_marked_seen_the_old_way_before_an_upgrade_stays_a_duplicate_for_one_window()
    {
        var prefix = RedisServerFixture.NewKeyPrefix("chatqueue");
        var db = redis.Connection.GetDatabase();
        await db.StringSetAsync(prefix + "seen:u:77", "1", TimeSpan.FromHours(25)); // queued by a replica of the old layout

        var upgraded = NewQueue(prefix: prefix);
        Assert.False(await EnqueueAsync(upgraded, 77));
        Assert.True(await EnqueueAsync(upgraded, 78));
        Assert.False(await EnqueueAsync(upgraded, 78));

        // A whole window after the upgrade a replica (started then) no longer looks at the old keys.
        await db.StringSetAsync(prefix + "seen-bitmaps-since", DateTimeOffset.UtcNow.AddHours(-25.1).ToUnixTimeMilliseconds());
        await db.StringSetAsync(prefix + "seen:u:79", "1");
        Assert.True(await EnqueueAsync(NewQueue(prefix: prefix), 79));
    }

    [Fact]
    public async Task Store_that_never_had_the_old_layout_does_not_look_for_it()
    {
        var prefix = RedisServerFixture.NewKeyPrefix("chatqueue");
        var db = redis.Connection.GetDatabase();
        var queue = NewQueue(prefix: prefix);

        Assert.True(await EnqueueAsync(queue, 1));
        Assert.Equal(0, (long)await db.StringGetAsync(prefix + "seen-bitmaps-since"));
        await db.StringSetAsync(prefix + "seen:u:5", "1");
        Assert.True(await EnqueueAsync(queue, 5));
    }

    [Fact]
    public async Task Chat_is_taken_in_order_by_one_worker_at_a_time()
    {
        var queue = NewQueue();
        await EnqueueAsync(queue, 1);
        await EnqueueAsync(queue, 2);

        var first = Assert.IsType<Claim.Leased>(await queue.ClaimAsync("worker-a"));
        Assert.Equal("1", IdOf(first.Head));
        Assert.IsType<Claim.Idle>(await queue.ClaimAsync("worker-b"));

        var next = Assert.IsType<LeaseState.Next>(await queue.AckAsync(first.Lease));
        Assert.Equal("2", IdOf(next.Head));
        Assert.Equal(first.Lease.Token, next.Lease.Token);
        Assert.IsType<LeaseState.Drained>(await queue.AckAsync(next.Lease));
        Assert.Equal(0, (await queue.SampleAsync()).Depth);
    }

    [Fact]
    public async Task Expired_lease_lets_another_worker_take_the_chat_and_the_first_cannot_ack()
    {
        var queue = NewQueue(TimeSpan.FromMilliseconds(300));
        await EnqueueAsync(queue, 1);
        var dead = Assert.IsType<Claim.Leased>(await queue.ClaimAsync("dead-worker"));

        Claim claim = new Claim.Idle(null);
        var until = DateTime.UtcNow.AddSeconds(5);
        while (claim is not Claim.Leased && DateTime.UtcNow < until)
        {
            claim = await queue.ClaimAsync("live-worker");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        var leased = Assert.IsType<Claim.Leased>(claim);
        Assert.Equal("1", IdOf(leased.Head));
        Assert.Equal(2, leased.Tries);
        Assert.IsType<LeaseState.Lost>(await queue.AckAsync(dead.Lease));
        Assert.IsType<LeaseState.Drained>(await queue.AckAsync(leased.Lease));
    }

    [Fact]
    public async Task Lower_update_id_arriving_later_is_taken_first()
    {
        var queue = NewQueue();
        await EnqueueAsync(queue, 12);
        await EnqueueAsync(queue, 11);

        var first = Assert.IsType<Claim.Leased>(await queue.ClaimAsync("w"));

        Assert.Equal("11", IdOf(first.Head));
    }

    [Fact]
    public async Task Released_chat_comes_back_after_its_delay_with_the_error_kept()
    {
        var queue = NewQueue();
        await EnqueueAsync(queue, 1);
        var leased = Assert.IsType<Claim.Leased>(await queue.ClaimAsync("w"));

        await queue.ReleaseAsync(leased.Lease, TimeSpan.FromSeconds(30), "boom");

        var idle = Assert.IsType<Claim.Idle>(await queue.ClaimAsync("w"));
        Assert.True(idle.NextDue > TimeSpan.FromSeconds(20));
        Assert.Equal("boom", await queue.LastErrorAsync("42"));
    }

    [Fact]
    public async Task An_acknowledged_entry_takes_its_chats_last_error_with_it()
    {
        var queue = NewQueue();
        await EnqueueAsync(queue, 1);
        await EnqueueAsync(queue, 2);
        var failed = Assert.IsType<Claim.Leased>(await queue.ClaimAsync("w"));
        await queue.ReleaseAsync(failed.Lease, TimeSpan.Zero, "boom");
        var again = Assert.IsType<Claim.Leased>(await queue.ClaimAsync("w"));
        Assert.Equal("boom", await queue.LastErrorAsync("42"));

        // Handled at the second try: update 2's failures, if any, are its own.
        Assert.IsType<LeaseState.Next>(await queue.AckAsync(again.Lease));

        Assert.Null(await queue.LastErrorAsync("42"));
    }

    [Fact]
    public async Task Notifications_go_after_the_chats_entries_in_the_order_they_were_sent()
    {
        var queue = NewQueue();
        Task<bool> NotifyAsync(string id) =>
            queue.EnqueueAsync(NewEntry.Notification(id, "42", QueuedEntry.HeaderPrefix(EntryKind.Notification, id, null), new byte[] { 1 }));
        await EnqueueAsync(queue, 5);
        // Ids whose bytes sort the other way round ("answer:10" < "answer:9"; "n …" < "u …").
        Assert.True(await NotifyAsync("support:answer:9"));
        Assert.True(await NotifyAsync("support:answer:10"));
        await EnqueueAsync(queue, 6);
        Assert.True(await NotifyAsync("support:answer:11"));

        var taken = new List<string>();
        for (LeaseState state = new LeaseState.Next(Assert.IsType<Claim.Leased>(await queue.ClaimAsync("w")).Lease); state is LeaseState.Next next;)
        {
            taken.Add(IdOf(next.Head));
            state = await queue.AckAsync(next.Lease);
        }

        Assert.Equal(["5", "support:answer:9", "support:answer:10", "6", "support:answer:11"], taken);
    }

    [Fact]
    public async Task A_head_entry_with_a_broken_header_is_handed_over_and_the_chats_behind_it_are_leased_too()
    {
        var prefix = RedisServerFixture.NewKeyPrefix("chatqueue");
        var queue = NewQueue(prefix: prefix);
        await EnqueueAsync(queue, 1, chat: "41");
        await EnqueueAsync(queue, 2, chat: "43");
        // Written by hand: a header whose first line ends before its enqueue time, its chat ready.
        var db = redis.Connection.GetDatabase();
        await db.SortedSetAddAsync(queue.QueueKey("42"), "n ticket:42\nanswer - 1700000000000\n{}", 0);
        await db.SortedSetAddAsync(prefix + "chats", "42", 0);

        var settled = await queue.SettleAsync([], 10, "w");

        Assert.Equal(["41", "42", "43"], settled.Claimed.Select(l => l.ChatId).Order());
        var broken = settled.Claimed.Single(l => l.ChatId == "42");
        Assert.False(QueuedEntry.TryParse(broken.Head.Entry, out _));
        Assert.IsType<LeaseState.Drained>(await queue.AckAsync(broken, "unreadable"));
        Assert.Equal(0, await db.SortedSetLengthAsync(queue.QueueKey("42")));
        Assert.StartsWith("42 unreadable\nn ticket:42\n", (string)(await db.ListGetByIndexAsync(queue.DeadLetterKey, 0))!);
    }

    [Fact]
    public async Task One_settle_acknowledges_several_chats_and_leases_more_in_the_same_call()
    {
        var queue = NewQueue();
        await EnqueueAsync(queue, 1, chat: "a");
        await EnqueueAsync(queue, 2, chat: "a");
        await EnqueueAsync(queue, 3, chat: "b");
        var first = await queue.SettleAsync([], 2, "w");
        Assert.Equal(2, first.Claimed.Length);
        await EnqueueAsync(queue, 4, chat: "c");
        var a = first.Claimed.Single(l => l.ChatId == "a");
        var b = first.Claimed.Single(l => l.ChatId == "b");
        Assert.NotEqual(a.Token, b.Token);

        var second = await queue.SettleAsync([new Ack(a), new Ack(b)], 5, "w");

        var next = Assert.IsType<LeaseState.Next>(second.Acked[0]);
        Assert.Equal(("a", "2", a.Token, 1L), (next.Lease.ChatId, IdOf(next.Head), next.Lease.Token, next.Lease.Tries));
        Assert.IsType<LeaseState.Drained>(second.Acked[1]);
        var c = Assert.Single(second.Claimed); // a is still ours, b is empty
        Assert.Equal(("c", "4"), (c.ChatId, IdOf(c.Head)));
        Assert.NotNull(second.NextDue); // a is leased: due when its lease ends
        Assert.Equal(2, (await queue.SampleAsync()).Depth);
    }

    [Fact]
    public async Task An_ack_under_a_lost_lease_changes_nothing_and_the_others_in_its_call_go_through()
    {
        var queue = NewQueue();
        await EnqueueAsync(queue, 1, chat: "a");
        await EnqueueAsync(queue, 2, chat: "b");
        var leases = (await queue.SettleAsync([], 2, "w")).Claimed;
        var a = leases.Single(l => l.ChatId == "a");
        var b = leases.Single(l => l.ChatId == "b");

        var settled = await queue.SettleAsync([new Ack(a with { Token = "someone-else" }), new Ack(b)], 0, "w");

        Assert.IsType<LeaseState.Lost>(settled.Acked[0]);
        Assert.IsType<LeaseState.Drained>(settled.Acked[1]);
        Assert.Equal(1, (await queue.SampleAsync()).Depth); // a's entry is still queued, still leased to us
        Assert.IsType<LeaseState.Drained>(await queue.AckAsync(a));
        Assert.Equal(0, (await queue.SampleAsync()).Depth);
    }

    [Fact]
    public async Task Handlers_writes_are_applied_with_their_ack_only_while_the_lease_holds()
    {
        var prefix = RedisServerFixture.NewKeyPrefix("chatqueue");
        var queue = NewQueue(prefix: prefix);
        var db = redis.Connection.GetDatabase();
        await EnqueueAsync(queue, 1, chat: "a");
        await EnqueueAsync(queue, 2, chat: "b");
        var leases = (await queue.SettleAsync([], 2, "w")).Claimed;
        var a = leases.Single(l => l.ChatId == "a");
        var b = leases.Single(l => l.ChatId == "b");
        HashWrite Menu(string chat, long version) =>
            new(prefix + "conv:" + chat, [new("mv", version), new("ms", "main"), new("mm", 100 + version)], TimeSpan.FromMinutes(10));

        // a's lease went to another worker meanwhile: its handler's writes must not land over that worker's.
        var settled = await queue.SettleAsync([new Ack(a with { Token = "lost" }, Writes: [Menu("a", 1)]), new Ack(b, Writes: [Menu("b", 2), Menu("b2", 3)])], 0, "w");

        Assert.IsType<LeaseState.Lost>(settled.Acked[0]);
        Assert.IsType<LeaseState.Drained>(settled.Acked[1]);
        Assert.Null(settled.WriteError);
        Assert.False(await db.KeyExistsAsync(prefix + "conv:a"));
        Assert.Equal(["2", "main", "102"], (await db.HashGetAsync(prefix + "conv:b", ["mv", "ms", "mm"])).Select(v => (string?)v));
        Assert.Equal("3", (string?)await db.HashGetAsync(prefix + "conv:b2", "mv"));
        Assert.InRange((await db.KeyTimeToLiveAsync(prefix + "conv:b"))!.Value, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));
    }

    [Fact]
    public async Task A_write_that_keeps_the_ttl_leaves_an_existing_hash_s_alone_but_never_leaves_a_new_hash_without_one()
    {
        var prefix = RedisServerFixture.NewKeyPrefix("chatqueue");
        var queue = NewQueue(prefix: prefix);
        var db = redis.Connection.GetDatabase();
        foreach (var key in new[] { "kept", "renewed", "grown" })
        {
            await db.HashSetAsync(prefix + key, [new("mv", 1), new("ms", "main")]);
            await db.KeyExpireAsync(prefix + key, TimeSpan.FromMinutes(5));
        }
        await EnqueueAsync(queue, 1, chat: "a");
        var lease = (await queue.SettleAsync([], 1, "w")).Claimed.Single();
        var ttl = TimeSpan.FromMinutes(10);

        await queue.SettleAsync([new Ack(lease, Writes: [
            new HashWrite(prefix + "kept", [new("mv", 2), new("ms", "help")], ttl, RenewTimeToLive: false),
            new HashWrite(prefix + "renewed", [new("mv", 2)], ttl),
            new HashWrite(prefix + "grown", [new("mv", 2), new("mm", 7)], ttl, RenewTimeToLive: false), // adds a field
            new HashWrite(prefix + "new", [new("mv", 1)], ttl, RenewTimeToLive: false), // cleared meanwhile, or never there
        ])], 0, "w");

        Assert.Equal("help", (string?)await db.HashGetAsync(prefix + "kept", "ms"));
        Assert.InRange((await db.KeyTimeToLiveAsync(prefix + "kept"))!.Value, TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(5));
        Assert.InRange((await db.KeyTimeToLiveAsync(prefix + "renewed"))!.Value, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));
        Assert.InRange((await db.KeyTimeToLiveAsync(prefix + "grown"))!.Value, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));
        Assert.InRange((await db.KeyTimeToLiveAsync(prefix + "new"))!.Value, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));
    }

    [Fact]
    public async Task A_write_to_a_key_of_another_type_fails_alone_and_is_reported()
    {
        var prefix = RedisServerFixture.NewKeyPrefix("chatqueue");
        var queue = NewQueue(prefix: prefix);
        var db = redis.Connection.GetDatabase();
        await db.StringSetAsync(prefix + "odd", "a string where a hash belongs");
        await EnqueueAsync(queue, 1, chat: "a");
        await EnqueueAsync(queue, 2, chat: "a");
        await EnqueueAsync(queue, 3, chat: "b");
        var leases = (await queue.SettleAsync([], 2, "w")).Claimed;
        var ttl = TimeSpan.FromMinutes(1);

        var settled = await queue.SettleAsync([
            new Ack(leases.Single(l => l.ChatId == "a"), Writes: [new HashWrite(prefix + "odd", [new("mv", 1)], ttl), new HashWrite(prefix + "fine", [new("mv", 1)], ttl)]),
            new Ack(leases.Single(l => l.ChatId == "b"), Writes: [new HashWrite(prefix + "also-fine", [new("mv", 2)], ttl)]),
        ], 0, "w");

        Assert.Contains("WRONGTYPE", settled.WriteError);
        Assert.Equal("2", IdOf(Assert.IsType<LeaseState.Next>(settled.Acked[0]).Head));
        Assert.IsType<LeaseState.Drained>(settled.Acked[1]);
        Assert.Equal("a string where a hash belongs", (string?)await db.StringGetAsync(prefix + "odd"));
        Assert.Equal("1", (string?)await db.HashGetAsync(prefix + "fine", "mv"));
        Assert.Equal("2", (string?)await db.HashGetAsync(prefix + "also-fine", "mv"));
        Assert.Equal(1, (await queue.SampleAsync()).Depth);
    }

    [Fact]
    public async Task A_redis_that_lost_its_scripts_gets_them_again_and_nothing_is_lost()
    {
        // A Redis of its own: flushing the scripts of the shared one would touch the other tests' calls.
        await using var own = new RedisServerFixture();
        await own.InitializeAsync();
        await using var admin = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{own.Port},allowAdmin=true");
        var queue = new ChatQueue(own.Connection, Options.Create(new BotOptions { RedisKeyPrefix = "lost-scripts:", ReorderWindow = TimeSpan.Zero }));
        Assert.True(await EnqueueAsync(queue, 1)); // the first call on a new Redis: the scripts are not there yet
        var first = Assert.IsType<Claim.Leased>(await queue.ClaimAsync("w"));

        await admin.GetServer(admin.GetEndPoints()[0]).ScriptFlushAsync(); // as after a restart without persistence of scripts

        Assert.True(await EnqueueAsync(queue, 2));
        Assert.False(await EnqueueAsync(queue, 2));
        var next = Assert.IsType<LeaseState.Next>(await queue.AckAsync(first.Lease));
        Assert.Equal("2", IdOf(next.Head));
        Assert.IsType<LeaseState.Drained>(await queue.AckAsync(next.Lease));
        Assert.Equal(0, (await queue.SampleAsync()).Depth);
    }

    [Fact]
    public void A_hash_write_needs_a_field_and_a_time_to_live_of_a_millisecond_or_more()
    {
        Assert.Throws<ArgumentException>(() => new HashWrite("k", [], TimeSpan.FromMinutes(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HashWrite("k", [new("f", 1)], TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HashWrite("k", [new("f", 1)], TimeSpan.FromTicks(9_999)));
    }

    [Fact]
    public async Task A_private_chat_is_handed_over_with_its_users_values_as_the_previous_entrys_writes_left_them()
    {
        var prefix = RedisServerFixture.NewKeyPrefix("chatqueue");
        var queue = new ChatQueue(redis.Connection, redis.Connection, Options.Create(new BotOptions { RedisKeyPrefix = prefix, ReorderWindow = TimeSpan.Zero }),
            new ChatSnapshotKeys(prefix + "conv:", ":", ["v", "s"], prefix + "lang:"));
        var db = redis.Connection.GetDatabase();
        await db.HashSetAsync(prefix + "conv:42:42", [new("v", 3), new("s", "menu")]);
        await db.StringSetAsync(prefix + "lang:42", "uk");
        await EnqueueAsync(queue, 1, chat: "42");
        await EnqueueAsync(queue, 2, chat: "42");
        await EnqueueAsync(queue, 3, chat: "-100"); // a group: its users are many, nothing to read for it
        await EnqueueAsync(queue, 4, chat: "7"); // a private chat with nothing stored yet

        var claimed = (await queue.SettleAsync([], 3, "w")).Claimed;

        var mine = claimed.Single(l => l.ChatId == "42");
        Assert.Equal(["3", "menu"], mine.Snapshot!.HashFields.Select(v => (string?)v));
        Assert.Equal("uk", (string?)mine.Snapshot.String);
        Assert.Null(claimed.Single(l => l.ChatId == "-100").Snapshot);
        var empty = claimed.Single(l => l.ChatId == "7").Snapshot!;
        Assert.True(empty.HashFields.All(v => v.IsNull) && empty.String.IsNull);

        // The handler of update 1 moved the user on, in writes that go with its acknowledgement: update 2 sees them.
        var settled = await queue.SettleAsync([new Ack(mine, Writes: [new HashWrite(prefix + "conv:42:42", [new("s", "profile")], TimeSpan.FromHours(1))])], 0, "w");

        var next = Assert.IsType<LeaseState.Next>(settled.Acked[0]);
        Assert.Equal("2", IdOf(next.Head));
        Assert.Equal(["3", "profile"], next.Lease.Snapshot!.HashFields.Select(v => (string?)v));
        Assert.Equal("uk", (string?)next.Lease.Snapshot.String);
    }

    [Fact]
    public async Task A_key_of_another_type_or_a_notification_gets_no_values_and_the_round_goes_on()
    {
        var prefix = RedisServerFixture.NewKeyPrefix("chatqueue");
        var queue = new ChatQueue(redis.Connection, redis.Connection, Options.Create(new BotOptions { RedisKeyPrefix = prefix, ReorderWindow = TimeSpan.Zero }),
            new ChatSnapshotKeys(prefix + "conv:", ":", ["v", "mv"], prefix + "lang:"));
        var db = redis.Connection.GetDatabase();
        await db.HashSetAsync(prefix + "lang:42", "oops", "a hash where a string belongs"); // an odd key, written by hand
        await db.HashSetAsync(prefix + "conv:7:7", "mv", 2); // a user who only used menus: no state yet
        await EnqueueAsync(queue, 1, chat: "42");
        await EnqueueAsync(queue, 2, chat: "7");
        await queue.EnqueueAsync(NewEntry.Notification("n-1", "8", QueuedEntry.HeaderPrefix(EntryKind.Notification, "n-1", null), new byte[] { 1 }));

        var claimed = (await queue.SettleAsync([], 3, "w")).Claimed;

        Assert.Equal(["42", "7", "8"], claimed.Select(l => l.ChatId).Order());
        Assert.Null(claimed.Single(l => l.ChatId == "42").Snapshot); // its handler reads for itself (and fails there, alone)
        var menusOnly = claimed.Single(l => l.ChatId == "7").Snapshot!;
        Assert.Equal([null, "2"], menusOnly.HashFields.Select(v => (string?)v));
        Assert.Null(claimed.Single(l => l.ChatId == "8").Snapshot); // a notification has no handler to read for
    }

    [Fact]
    public async Task A_queue_told_nothing_to_read_hands_chats_over_without_values()
    {
        var queue = NewQueue();
        await EnqueueAsync(queue, 1);
        await EnqueueAsync(queue, 2);

        var leased = Assert.IsType<Claim.Leased>(await queue.ClaimAsync("w"));
        var next = Assert.IsType<LeaseState.Next>(await queue.AckAsync(leased.Lease));

        Assert.Null(leased.Lease.Snapshot);
        Assert.Null(next.Lease.Snapshot);
    }

    [Fact]
    public async Task Dead_lettered_entry_is_kept_with_its_note_and_the_chat_moves_on()
    {
        var queue = NewQueue();
        await EnqueueAsync(queue, 1);
        await EnqueueAsync(queue, 2);
        var leased = Assert.IsType<Claim.Leased>(await queue.ClaimAsync("w"));

        var next = Assert.IsType<LeaseState.Next>(await queue.AckAsync(leased.Lease, "Update 1 after 5 tries: boom"));

        Assert.Equal("2", IdOf(next.Head));
        var dead = (string)(await redis.Connection.GetDatabase().ListGetByIndexAsync(queue.DeadLetterKey, 0))!;
        Assert.StartsWith("42 Update 1 after 5 tries: boom\nu 1 ", dead);
        Assert.EndsWith("{\"update_id\":1}", dead);
        var letter = Assert.Single(await queue.DeadLettersAsync(10));
        Assert.Equal(("42", "Update 1 after 5 tries: boom", "1", "{\"update_id\":1}"),
            (letter.ChatId, letter.Note, letter.Entry?.Id, Encoding.UTF8.GetString(letter.Entry!.Value.Payload.Span)));
    }

    /// <summary>Dead-letters the head of each chat in <paramref name="chats"/> (one update each, ids from <paramref name="firstId"/>).</summary>
    static async Task DeadLetterAsync(ChatQueue queue, long firstId, params string[] chats)
    {
        for (var i = 0; i < chats.Length; i++)
        {
            await EnqueueAsync(queue, firstId + i, chats[i]);
        }
        var settled = await queue.SettleAsync([], chats.Length, "w");
        Assert.Equal(chats.Length, settled.Claimed.Length);
        foreach (var lease in settled.Claimed.OrderBy(l => IdOf(l.Head)))
        {
            await queue.AckAsync(lease, $"Update {IdOf(lease.Head)} after 5 tries: boom");
        }
    }

    ChatQueue NewQueue(int deadLetterLimit, string? prefix = null) => new(redis.Connection, Options.Create(new BotOptions
    {
        RedisKeyPrefix = prefix ?? RedisServerFixture.NewKeyPrefix("chatqueue"),
        ReorderWindow = TimeSpan.Zero,
        DeadLetterLimit = deadLetterLimit,
    }));

    [Fact]
    public async Task Dead_letters_past_the_limit_drop_the_oldest()
    {
        var queue = NewQueue(deadLetterLimit: 3);

        await DeadLetterAsync(queue, 1, "1", "2", "3", "4", "5");

        Assert.Equal(3, await queue.DeadLetterCountAsync());
        Assert.Equal(["5", "4", "3"], (await queue.DeadLettersAsync(10)).Select(d => d.Entry?.Id));
        Assert.Equal(["5", "4"], (await queue.DeadLettersAsync(2)).Select(d => d.ChatId));
    }

    [Fact]
    public async Task A_dead_letter_list_grown_past_the_limit_shrinks_by_at_most_a_hundred_per_letter_added()
    {
        var prefix = RedisServerFixture.NewKeyPrefix("chatqueue");
        var queue = NewQueue(deadLetterLimit: 3, prefix);
        // Left by a version with no limit.
        await redis.Connection.GetDatabase().ListRightPushAsync(queue.DeadLetterKey, [.. Enumerable.Range(0, 250).Select(i => (RedisValue)$"9 old {i}\nu {i} - 1700000000000\n{{}}")]);

        var lengths = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            await DeadLetterAsync(queue, 1 + i, $"{i + 1}");
            lengths.Add(await queue.DeadLetterCountAsync());
        }

        Assert.Equal([151, 52, 3], lengths);
        Assert.Equal(["3", "2", "1"], (await queue.DeadLettersAsync(10)).Select(d => d.ChatId));
    }

    [Fact]
    public async Task Requeued_dead_letters_are_handled_again_after_what_their_chat_has_queued_with_fresh_tries()
    {
        var queue = NewQueue();
        await DeadLetterAsync(queue, 10, "7", "8");
        // While they were dead, chat 7 got a new update. A letter from before the chat led the letter names it in its
        // note; an unreadable entry cannot be handled again.
        await EnqueueAsync(queue, 12, chat: "7");
        var db = redis.Connection.GetDatabase();
        await db.ListLeftPushAsync(queue.DeadLetterKey, "Update 3 chat -9 after 5 tries: old\nu 3 - 1700000000000\n{}");
        await db.ListRightPushAsync(queue.DeadLetterKey, "5 unreadable entry: its header is not <u|n> <id> <traceparent|-> <enqueued unix ms>\nn ticket:42\nanswer - 1\n{}");
        var before = DateTimeOffset.UtcNow.AddSeconds(-1).ToUnixTimeMilliseconds();

        var requeued = await queue.RequeueDeadLettersAsync(null, TestContext.Current.CancellationToken);

        Assert.Equal(new Requeued(3, 1), requeued);
        Assert.Equal(["5"], (await queue.DeadLettersAsync(10)).Select(d => d.ChatId));
        Assert.Equal(4, (await queue.SampleAsync()).Depth);
        var settled = await queue.SettleAsync([], 10, "w");
        Assert.Equal([("-9", "3", 1L), ("7", "12", 1L), ("8", "11", 1L)], settled.Claimed.Select(l => (l.ChatId, IdOf(l.Head), l.Tries)).Order());
        // Stamped when requeued, so the queue's age reads the wait since then.
        Assert.All(settled.Claimed.Where(l => l.ChatId != "7"), l => Assert.InRange(QueuedEntry.Parse(l.Head.Entry).EnqueuedAtMs, before, before + 600_000));
        var seven = settled.Claimed.Single(l => l.ChatId == "7");
        var next = Assert.IsType<LeaseState.Next>(await queue.AckAsync(seven));
        Assert.Equal("10", IdOf(next.Head));
        Assert.IsType<LeaseState.Drained>(await queue.AckAsync(next.Lease));
        // Nothing is requeued twice.
        Assert.Equal(new Requeued(0, 1), await queue.RequeueDeadLettersAsync(null, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_requeue_of_one_chat_leaves_the_others_and_one_onto_a_leased_chat_waits_for_its_lease()
    {
        var queue = NewQueue();
        await DeadLetterAsync(queue, 20, "31", "32");
        await EnqueueAsync(queue, 22, chat: "31");
        await EnqueueAsync(queue, 23, chat: "31");
        var leased = Assert.IsType<Claim.Leased>(await queue.ClaimAsync("w"));
        Assert.Equal(("31", "22"), (leased.Lease.ChatId, IdOf(leased.Head)));
        await queue.ReleaseAsync(leased.Lease, TimeSpan.Zero, "boom"); // the head's first try failed
        leased = Assert.IsType<Claim.Leased>(await queue.ClaimAsync("w"));
        Assert.Equal(2, leased.Tries);

        Assert.Equal(new Requeued(1, 1), await queue.RequeueDeadLettersAsync("31", TestContext.Current.CancellationToken));

        // The lease holds: no one else gets the chat, and its head keeps its tries.
        Assert.IsType<Claim.Idle>(await queue.ClaimAsync("other"));
        var next = Assert.IsType<LeaseState.Next>(await queue.AckAsync(leased.Lease));
        Assert.Equal(("23", 1L), (IdOf(next.Head), next.Lease.Tries));
        next = Assert.IsType<LeaseState.Next>(await queue.AckAsync(next.Lease));
        Assert.Equal(("20", 1L), (IdOf(next.Head), next.Lease.Tries));
        Assert.IsType<LeaseState.Drained>(await queue.AckAsync(next.Lease));
        Assert.Equal(["32"], (await queue.DeadLettersAsync(10)).Select(d => d.ChatId));
    }

    [Fact]
    public async Task A_requeue_of_many_letters_of_one_chat_keeps_their_order_across_its_chunks()
    {
        var queue = NewQueue();
        var db = redis.Connection.GetDatabase();
        await db.ListRightPushAsync(queue.DeadLetterKey, [.. Enumerable.Range(1, 250).Select(i => (RedisValue)$"77 Update {i} after 5 tries: boom\nu {i} - 1700000000000\n{{}}")]);

        Assert.Equal(new Requeued(250, 0), await queue.RequeueDeadLettersAsync(null, TestContext.Current.CancellationToken));

        var handled = new List<string>();
        var leased = Assert.IsType<Claim.Leased>(await queue.ClaimAsync("w")).Lease;
        while (true)
        {
            handled.Add(IdOf(leased.Head));
            if (await queue.AckAsync(leased) is not LeaseState.Next next)
            {
                break;
            }
            leased = next.Lease;
        }
        Assert.Equal(Enumerable.Range(1, 250).Select(i => $"{i}"), handled.Take(250));
    }

    [Fact]
    public async Task A_requeued_notification_recorded_failed_is_pending_again()
    {
        var prefix = RedisServerFixture.NewKeyPrefix("chatqueue");
        var queue = NewQueue(prefix: prefix);
        var db = redis.Connection.GetDatabase();
        await queue.EnqueueAsync(NewEntry.Notification("ticket:7:answer", "5", QueuedEntry.HeaderPrefix(EntryKind.Notification, "ticket:7:answer", null), new byte[] { 1 }));
        await queue.AckAsync(Assert.IsType<Claim.Leased>(await queue.ClaimAsync("w")).Lease, "Notification ticket:7:answer after 5 tries: boom");
        await db.StringSetAsync(prefix + "notification:ticket:7:answer", "Failed", TimeSpan.FromDays(7));

        Assert.Equal(new Requeued(1, 0), await queue.RequeueDeadLettersAsync(null, TestContext.Current.CancellationToken));

        Assert.Equal("Pending", (string?)await db.StringGetAsync(prefix + "notification:ticket:7:answer"));
        Assert.NotNull(await db.KeyTimeToLiveAsync(prefix + "notification:ticket:7:answer"));
    }

    [Fact]
    public async Task Next_entry_still_in_its_reorder_window_releases_the_chat_until_the_window_ends()
    {
        var queue = new ChatQueue(redis.Connection, Options.Create(new BotOptions
        {
            RedisKeyPrefix = RedisServerFixture.NewKeyPrefix("chatqueue"),
            ReorderWindow = TimeSpan.FromSeconds(2), // the acknowledgement below must come within it, even on a loaded machine
        }));
        await EnqueueAsync(queue, 1);
        Claim claim;
        while ((claim = await queue.ClaimAsync("w")) is Claim.Idle idle)
        {
            Assert.True(idle.NextDue <= TimeSpan.FromSeconds(2));
            await Task.Delay(idle.NextDue!.Value + TimeSpan.FromMilliseconds(5), TestContext.Current.CancellationToken);
        }
        await EnqueueAsync(queue, 2);

        var settled = await queue.SettleAsync([new Ack(((Claim.Leased)claim).Lease)], 0, "w");

        Assert.IsType<LeaseState.Drained>(settled.Acked[0]);
        Assert.InRange(settled.NextDue!.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(2)); // the workers look again then
        var waiting = Assert.IsType<Claim.Idle>(await queue.ClaimAsync("w"));
        Assert.InRange(waiting.NextDue!.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(2));
        await Task.Delay(waiting.NextDue.Value + TimeSpan.FromMilliseconds(5), TestContext.Current.CancellationToken);
        var taken = Assert.IsType<Claim.Leased>(await queue.ClaimAsync("w"));
        Assert.Equal(("2", 1L), (IdOf(taken.Head), taken.Tries));
    }

    [Fact]
    public async Task A_chat_kept_by_an_acknowledgement_is_not_leased_again_by_the_same_call_even_after_its_lease_ran_out()
    {
        var queue = NewQueue(TimeSpan.FromMilliseconds(200));
        await EnqueueAsync(queue, 1);
        await EnqueueAsync(queue, 2);
        var leased = Assert.IsType<Claim.Leased>(await queue.ClaimAsync("w"));
        await Task.Delay(400, TestContext.Current.CancellationToken); // expired, but nobody took it over

        var settled = await queue.SettleAsync([new Ack(leased.Lease)], 5, "w");

        var next = Assert.IsType<LeaseState.Next>(settled.Acked[0]);
        Assert.Equal("2", IdOf(next.Head));
        Assert.Empty(settled.Claimed);
    }
}
