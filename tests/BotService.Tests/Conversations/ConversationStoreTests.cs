using Mesh.Bot.Conversations;
using Mesh.Testing;
using Microsoft.Extensions.Logging.Abstractions;
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
        Options.Create(new ConversationOptions { ConversationTtl = ttl ?? TimeSpan.FromHours(24) }), clock, NullLogger<ConversationStore>.Instance);

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

    [Fact]
    public async Task Clear_removes_states_older_than_asked_or_all_and_counts_them()
    {
        var store = NewStore();
        await store.SetAsync(10, 1, 0, First, null);
        await store.SetAsync(11, 1, 0, First, null);
        clock.Advance(TimeSpan.FromHours(2));
        await store.SetAsync(12, 1, 0, First, null);

        Assert.Equal(2, await store.ClearAsync(TimeSpan.FromHours(1), TestContext.Current.CancellationToken));
        Assert.Null((await store.GetAsync(10, 1)).Step);
        Assert.Equal(First, (await store.GetAsync(12, 1)).Step);
        Assert.Equal(1, await store.ClearAsync(null, TestContext.Current.CancellationToken));
        Assert.Equal(0, await store.ClearAsync(null, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Clear_of_old_states_keeps_a_user_whose_menu_was_drawn_since()
    {
        var store = NewStore();
        var db = redis.Connection.GetDatabase();
        await store.SetAsync(20, 20, 0, null, null);   // /start two hours ago…
        await store.SetAsync(21, 21, 0, null, null);
        clock.Advance(TimeSpan.FromHours(2));
        // …and a menu drawn now by one of them, with the renewal it brings; the other's was drawn before.
        var renewing = store.MenuWrite(20, 20, 5, "main", 100, expiresAt: null);
        await db.HashSetAsync(renewing.Key, renewing.Fields);
        // A hash an operator's full clear left to a later menu write alone: no state, a fresh expiry.
        var menuOnly = store.MenuWrite(22, 22, 1, "main", 101, expiresAt: null);
        await db.HashSetAsync(menuOnly.Key, menuOnly.Fields);

        Assert.Equal(1, await store.ClearAsync(TimeSpan.FromHours(1), TestContext.Current.CancellationToken));

        Assert.True(await db.KeyExistsAsync(store.KeyOf(20, 20)));
        Assert.False(await db.KeyExistsAsync(store.KeyOf(21, 21)));
        Assert.True(await db.KeyExistsAsync(store.KeyOf(22, 22)));

        // The TTL setting raised since (24 h to 48 h): the menu drawn now is still recent, whatever its expiry says.
        Assert.Equal(0, await NewStore(TimeSpan.FromHours(48)).ClearAsync(TimeSpan.FromHours(1), TestContext.Current.CancellationToken));
        Assert.True(await db.KeyExistsAsync(store.KeyOf(20, 20)));
    }

    sealed record Draft(string Name, int Age);

    sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        DateTimeOffset now = now;

        public void Advance(TimeSpan by) => now += by;

        public override DateTimeOffset GetUtcNow() => now;
    }
}
