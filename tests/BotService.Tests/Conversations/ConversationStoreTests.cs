using Mesh.Bot.Conversations;
using Mesh.Testing;
using Microsoft.Extensions.Options;

namespace Mesh.Bot.Tests.Conversations;

/// <summary>The conversation store on real Redis: compare-and-set on the version, TTL, clearing.</summary>
public sealed class ConversationStoreTests(RedisServerFixture redis)
{
    static readonly Step First = new("test.first");
    static readonly Step Second = new("test.second");

    readonly ManualClock clock = new(DateTimeOffset.UtcNow);
    readonly string prefix = RedisServerFixture.NewKeyPrefix("conv");

    ConversationStore NewStore(TimeSpan? ttl = null) => new(redis.Connection, Options.Create(new BotOptions { RedisKeyPrefix = prefix }),
        Options.Create(new ConversationOptions { ConversationTtl = ttl ?? TimeSpan.FromHours(24) }), clock);

    [Fact]
    public async Task Of_two_moves_from_the_same_version_one_wins()
    {
        var store = NewStore();
        var state = await store.GetAsync(1, 1);
        var a = new ConversationFlow(store, 1, 1, state);
        var b = new ConversationFlow(store, 1, 1, state);

        var moves = new[] { a.MoveToAsync(First, new { Pick = "a" }), b.MoveToAsync(Second, new { Pick = "b" }) };
        var outcomes = await Task.WhenAll(moves.Select(async m =>
        {
            try { await m; return "won"; }
            catch (ConversationConflict) { return "lost"; }
        }));

        Assert.Equal(["lost", "won"], outcomes.Order());
        var stored = await store.GetAsync(1, 1);
        Assert.Equal(1, stored.Version);
        var winner = outcomes[0] == "won" ? a : b;
        Assert.Equal(winner.Step, stored.Step);
    }

    [Fact]
    public async Task Flow_keeps_its_step_and_data_and_moves_on_from_its_new_version()
    {
        var store = NewStore();
        var flow = new ConversationFlow(store, 2, 3, await store.GetAsync(2, 3));

        await flow.MoveToAsync(First, new Draft("Ada", 36));
        await flow.MoveToAsync(Second, flow.Data<Draft>()! with { Age = 37 });

        var again = new ConversationFlow(store, 2, 3, await store.GetAsync(2, 3));
        Assert.Equal(Second, again.Step);
        Assert.Equal(new Draft("Ada", 37), again.Data<Draft>());
        Assert.Equal(2, again.Version);
    }

    [Fact]
    public async Task Reset_wins_over_any_version_and_makes_stale_writers_lose()
    {
        var store = NewStore();
        var stale = new ConversationFlow(store, 4, 4, await store.GetAsync(4, 4));
        await new ConversationFlow(store, 4, 4, await store.GetAsync(4, 4)).ResetAsync();

        await Assert.ThrowsAsync<ConversationConflict>(() => stale.MoveToAsync(First));
        Assert.Null((await store.GetAsync(4, 4)).Step);
    }

    [Fact]
    public async Task State_expires_after_the_configured_ttl()
    {
        var store = NewStore(TimeSpan.FromMinutes(30));
        await new ConversationFlow(store, 5, 5, ConversationState.None).MoveToAsync(First);

        var ttl = await redis.Connection.GetDatabase().KeyTimeToLiveAsync(store.KeyOf(5, 5));

        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromMinutes(29), TimeSpan.FromMinutes(30));
    }

    [Fact]
    public async Task A_state_write_records_when_the_hash_expires()
    {
        var store = NewStore(TimeSpan.FromMinutes(30));
        await new ConversationFlow(store, 6, 6, ConversationState.None).MoveToAsync(First);

        var (_, menu) = await store.GetWithMenuAsync(6, 6);

        Assert.Equal(clock.GetUtcNow().AddMinutes(30).ToUnixTimeMilliseconds(), menu.HashExpiresAt?.ToUnixTimeMilliseconds());
    }

    [Fact]
    public void A_menu_write_renews_the_ttl_only_when_unknown_or_a_hundredth_of_it_at_most_a_minute_off()
    {
        var store = NewStore(TimeSpan.FromHours(24));
        var full = clock.GetUtcNow() + store.Ttl;

        var unknown = store.MenuWrite(7, 7, 3, "main", 100, expiresAt: null);
        var fresh = store.MenuWrite(7, 7, 3, "main", 100, full - TimeSpan.FromSeconds(59));
        var due = store.MenuWrite(7, 7, 3, "main", 100, full - TimeSpan.FromSeconds(61));

        Assert.True(unknown.RenewTimeToLive);
        Assert.Contains(new StackExchange.Redis.HashEntry(ConversationStore.ExpiresAt, full.ToUnixTimeMilliseconds()), unknown.Fields);
        Assert.False(fresh.RenewTimeToLive);
        Assert.DoesNotContain(fresh.Fields, f => f.Name == ConversationStore.ExpiresAt);
        Assert.Equal(["3", "main", "100"], fresh.Fields.Select(f => (string?)f.Value));
        Assert.True(due.RenewTimeToLive);
        Assert.Equal(store.Ttl, due.TimeToLive);
        // Recorded under a longer TTL (the setting lowered since): renewed now, to the shorter one.
        Assert.True(store.MenuWrite(7, 7, 3, "main", 100, full + TimeSpan.FromHours(2)).RenewTimeToLive);

        // A short TTL: a hundredth of it.
        var shortLived = NewStore(TimeSpan.FromMinutes(10));
        Assert.False(shortLived.MenuWrite(7, 7, 3, "main", 100, clock.GetUtcNow() + TimeSpan.FromMinutes(10) - TimeSpan.FromSeconds(5)).RenewTimeToLive);
        Assert.True(shortLived.MenuWrite(7, 7, 3, "main", 100, clock.GetUtcNow() + TimeSpan.FromMinutes(10) - TimeSpan.FromSeconds(7)).RenewTimeToLive);
    }

    /// <summary>Every page of a reset: how many dialogs it reset, and the resets still to be told of.</summary>
    static async Task<(long Reset, List<DialogReset> Untold)> ResetAsync(ConversationStore store, TimeSpan? olderThan)
    {
        long reset = 0;
        var untold = new List<DialogReset>();
        await foreach (var page in store.ResetDialogsAsync(olderThan, TestContext.Current.CancellationToken))
        {
            reset += page.Reset;
            untold.AddRange(page.Untold);
        }
        return (reset, untold);
    }

    [Fact]
    public async Task Reset_ends_dialogs_older_than_asked_or_all_and_counts_them()
    {
        var store = NewStore();
        await store.SetAsync(10, 1, 0, First, "{}");
        await store.SetAsync(11, 1, 0, First, null);
        clock.Advance(TimeSpan.FromHours(2));
        await store.SetAsync(12, 1, 0, First, null);

        Assert.Equal(2, (await ResetAsync(store, TimeSpan.FromHours(1))).Reset);
        var reset = await store.GetAsync(10, 1);
        Assert.Null(reset.Step);
        Assert.Null(reset.Data);
        Assert.Equal(First, (await store.GetAsync(12, 1)).Step);
        Assert.Equal(1, (await ResetAsync(store, null)).Reset);
        Assert.Equal(0, (await ResetAsync(store, null)).Reset);
    }

    [Fact]
    public async Task Reset_leaves_the_menu_and_the_expiry_as_they_were_and_users_without_a_dialog_untouched()
    {
        var store = NewStore();
        var db = redis.Connection.GetDatabase();
        await store.SetAsync(13, 13, 0, First, null);
        var menu = store.MenuWrite(13, 13, 7, "profile", 300, expiresAt: null);
        await db.HashSetAsync(menu.Key, menu.Fields);
        await store.SetAsync(14, 14, 0, null, null);   // /start, no dialog
        var menuOnly = store.MenuWrite(15, 15, 2, "main", 301, expiresAt: null);
        await db.HashSetAsync(menuOnly.Key, menuOnly.Fields);
        await db.KeyExpireAsync(menuOnly.Key, TimeSpan.FromHours(24));
        var untouched = new[] { await db.HashGetAllAsync(store.KeyOf(14, 14)), await db.HashGetAllAsync(store.KeyOf(15, 15)) };
        var expiry = await db.KeyTimeToLiveAsync(store.KeyOf(13, 13));
        clock.Advance(TimeSpan.FromMinutes(5));

        var (reset, untold) = await ResetAsync(store, null);

        Assert.Equal(1, reset);
        Assert.Equal((13L, 13L), (untold.Single().ChatId, untold.Single().UserId));
        var (state, after) = await store.GetWithMenuAsync(13, 13);
        Assert.Null(state.Step);
        Assert.Equal(new MenuState(7, "profile") { MessageId = 300, HashExpiresAt = after.HashExpiresAt }, after);
        Assert.NotNull(after.HashExpiresAt);
        Assert.InRange((await db.KeyTimeToLiveAsync(store.KeyOf(13, 13)))!.Value, expiry!.Value - TimeSpan.FromSeconds(5), expiry.Value);
        Assert.Equal(untouched[0], await db.HashGetAllAsync(store.KeyOf(14, 14)));
        Assert.Equal(untouched[1], await db.HashGetAllAsync(store.KeyOf(15, 15)));
    }

    [Fact]
    public async Task Reset_moves_the_version_on_so_a_writer_that_read_the_dialog_loses()
    {
        var store = NewStore();
        await store.SetAsync(16, 16, 0, First, null);
        var stale = new ConversationFlow(store, 16, 16, await store.GetAsync(16, 16));

        await ResetAsync(store, null);

        await Assert.ThrowsAsync<ConversationConflict>(() => stale.MoveToAsync(Second));
        var state = await store.GetAsync(16, 16);
        Assert.Null(state.Step);
        Assert.Equal(2, state.Version);
    }

    [Fact]
    public async Task Reset_of_old_dialogs_keeps_a_user_whose_menu_was_drawn_since()
    {
        var store = NewStore();
        var db = redis.Connection.GetDatabase();
        await store.SetAsync(20, 20, 0, First, null);   // a dialog two hours ago…
        await store.SetAsync(21, 21, 0, First, null);
        clock.Advance(TimeSpan.FromHours(2));
        // …and a menu drawn now by one of them, with the renewal it brings (pressing through menus is not being stuck);
        // the other's was drawn before.
        var renewing = store.MenuWrite(20, 20, 5, "main", 100, expiresAt: null);
        await db.HashSetAsync(renewing.Key, renewing.Fields);

        Assert.Equal(1, (await ResetAsync(store, TimeSpan.FromHours(1))).Reset);

        Assert.Equal(First, (await store.GetAsync(20, 20)).Step);
        Assert.Null((await store.GetAsync(21, 21)).Step);

        // The TTL setting raised since (24 h to 48 h): the menu drawn now is still recent, whatever its expiry says.
        Assert.Equal(0, (await ResetAsync(NewStore(TimeSpan.FromHours(48)), TimeSpan.FromHours(1))).Reset);
        Assert.Equal(First, (await store.GetAsync(20, 20)).Step);
    }

    [Fact]
    public async Task A_reset_is_yielded_to_be_told_by_every_reset_until_it_is_forgotten_and_by_none_after()
    {
        var store = NewStore();
        await store.SetAsync(30, 30, 0, First, null, new DialogUser(BotLanguage.Uk, null));
        await store.SetAsync(-31, 32, 0, Second, null, new DialogUser(BotLanguage.Ru, "Taras"));
        await store.SetAsync(33, 33, 0, First, null);   // a dialog written before steps recorded their user

        var (reset, untold) = await ResetAsync(store, null);

        Assert.Equal(3, reset);
        var byChat = untold.ToDictionary(r => r.ChatId);
        Assert.Equal((30L, 2L, First, BotLanguage.Uk, (string?)null),
            (byChat[30].UserId, byChat[30].Version, byChat[30].Step, byChat[30].Language, byChat[30].MentionName));
        Assert.Equal((32L, 2L, Second, BotLanguage.Ru, "Taras"),
            (byChat[-31].UserId, byChat[-31].Version, byChat[-31].Step, byChat[-31].Language, byChat[-31].MentionName));
        Assert.Null(byChat[33].Language);

        // Not forgotten (the clear stopped before its notices were queued): the next reset yields them again, resetting nothing.
        var (again, stillUntold) = await ResetAsync(store, null);
        Assert.Equal(0, again);
        Assert.Equal(untold.Select(r => r.Marker).Order(), stillUntold.Select(r => r.Marker).Order());

        await store.ForgetToldAsync(stillUntold);
        Assert.Empty((await ResetAsync(store, null)).Untold);
    }

    [Fact]
    public async Task A_reset_not_told_is_dropped_untold_once_the_user_has_written_since()
    {
        var store = NewStore();
        await store.SetAsync(40, 40, 0, First, null);
        await store.SetAsync(41, 41, 0, First, null);
        var (_, untold) = await ResetAsync(store, null);
        Assert.Equal(2, untold.Count);

        // The clear stopped before telling anyone; meanwhile user 40 sent /start (a write: the version moves on) and
        // started a new dialog, which is not idle, and user 41 did nothing.
        await store.ResetAsync(40, 40);
        var now = await store.GetAsync(40, 40);
        await store.SetAsync(40, 40, now.Version, First, null);
        var (reset, stillUntold) = await ResetAsync(store, TimeSpan.FromHours(1));

        Assert.Equal(0, reset);
        Assert.Equal([41L], stillUntold.Select(r => r.UserId)); // 40 is not told of a dialog they have moved on from
        Assert.Equal(First, (await store.GetAsync(40, 40)).Step);
        Assert.DoesNotContain((await ResetAsync(store, TimeSpan.FromHours(1))).Untold, r => r.UserId == 40);
    }

    [Fact]
    public async Task A_reset_reads_thousands_of_states_a_page_of_keys_per_script_call()
    {
        var store = NewStore();
        var db = redis.Connection.GetDatabase();
        const int Count = ConversationStore.ResetPageSize * 2 + 17;
        await Task.WhenAll(Enumerable.Range(1, Count).Select(i => db.HashSetAsync(store.KeyOf(40_000 + i, 40_000 + i),
            [new("v", 1), new("s", i % 2 == 0 ? First.Name : ""), new("d", ""), new("t", clock.GetUtcNow().ToUnixTimeMilliseconds())])));

        var pages = new List<DialogResetPage>();
        await foreach (var page in store.ResetDialogsAsync(null, TestContext.Current.CancellationToken))
        {
            pages.Add(page);
        }

        // A scan may return a key twice (Redis resizing its table meanwhile), which a reset finds with its dialog gone.
        Assert.InRange(pages.Count, 3, 4);
        Assert.Equal(Count / 2, pages.Sum(p => p.Reset));
        Assert.Equal(Count / 2, pages.SelectMany(p => p.Untold).Select(r => r.Key).Distinct().Count());
    }

    sealed record Draft(string Name, int Age);

    sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        DateTimeOffset now = now;

        public void Advance(TimeSpan by) => now += by;

        public override DateTimeOffset GetUtcNow() => now;
    }
}
