using Mesh.Bot.Conversations;
using Mesh.Bot.Updates;
using Mesh.Testing;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;

namespace Mesh.Bot.Tests.Integration;

/// <summary>
/// The user's state, menu and language as a handler sees them: from the values the queue read with a private chat's
/// update when there are some, else from Redis. Redis and the snapshot disagree here, so each test shows which was used.
/// </summary>
public sealed class UserContextTests(RedisServerFixture redis)
{
    const long User = 42;
    readonly string prefix = RedisServerFixture.NewKeyPrefix("usercontext");

    (UserContext Middleware, ConversationStore Store) Create()
    {
        var bot = Options.Create(new BotOptions { RedisKeyPrefix = prefix });
        var store = new ConversationStore(redis.Connection, bot, Options.Create(new ConversationOptions()), TimeProvider.System);
        var languages = new LanguageStore(redis.Connection, bot);
        return (new UserContext(store, languages), store);
    }

    /// <summary>In Redis: the user at step "in-redis" with menu version 5 in <paramref name="chat"/>, language Russian.</summary>
    async Task StoreAsync(ConversationStore store, long chat)
    {
        var db = redis.Connection.GetDatabase();
        await db.HashSetAsync(store.KeyOf(chat, User), [new("v", 3), new("s", "in-redis"), new(ConversationStore.MenuVersion, 5)]);
        await db.StringSetAsync(prefix + "lang:" + User, "ru");
    }

    /// <summary>What the queue read: step "in-snapshot", menu version 9 on screen "help", language Ukrainian.</summary>
    static ChatSnapshot Snapshot() => new(["4", "in-snapshot", RedisValue.Null, RedisValue.Null, "9", "help", RedisValue.Null, RedisValue.Null], "uk");

    static async Task<BotContext> RunAsync(UserContext middleware, long chat, long from, ChatSnapshot? snapshot)
    {
        var update = new Update
        {
            Id = 1,
            Message = new Message
            {
                Text = "hi",
                Chat = new Chat { Id = chat, Type = chat > 0 ? ChatType.Private : ChatType.Group },
                From = new User { Id = from, FirstName = "Ada", LanguageCode = "en" },
            },
        };
        var ctx = new BotContext(update, chat, null!, null!, CancellationToken.None) { Snapshot = snapshot };
        await middleware.InvokeAsync(ctx, () => Task.CompletedTask);
        return ctx;
    }

    [Fact]
    public async Task In_a_private_chat_the_values_read_with_the_update_are_used_without_a_read_of_its_own()
    {
        var (middleware, store) = Create();
        await StoreAsync(store, User);

        var ctx = await RunAsync(middleware, User, User, Snapshot());

        Assert.Equal("in-snapshot", ctx.Flow.Step?.Name);
        Assert.Equal(new MenuState(9, "help"), ctx.Menu);
        Assert.Equal(BotLanguage.Uk, ctx.Texts.Language);
    }

    [Fact]
    public async Task Without_values_read_with_the_update_the_user_is_read_from_redis()
    {
        var (middleware, store) = Create();
        await StoreAsync(store, User);

        var ctx = await RunAsync(middleware, User, User, snapshot: null);

        Assert.Equal("in-redis", ctx.Flow.Step?.Name);
        Assert.Equal(new MenuState(5, null), ctx.Menu);
        Assert.Equal(BotLanguage.Ru, ctx.Texts.Language);
    }

    [Fact]
    public async Task Values_read_for_the_chat_are_not_taken_for_another_sender()
    {
        var (middleware, store) = Create();
        const long group = -100;
        await StoreAsync(store, group);

        // A group's update carrying values (the queue reads none for groups, but the middleware must not trust them)…
        var inGroup = await RunAsync(middleware, group, User, Snapshot());
        // …and a private chat's update from someone other than the chat (the chat's values are not theirs).
        var otherSender = await RunAsync(middleware, 7, User, Snapshot());

        Assert.Equal(("in-redis", BotLanguage.Ru), (inGroup.Flow.Step?.Name, inGroup.Texts.Language));
        Assert.Equal((null, BotLanguage.Ru), (otherSender.Flow.Step?.Name, otherSender.Texts.Language));
    }

    [Fact]
    public async Task A_step_records_the_dialog_s_language_and_in_a_group_alone_the_user_s_name()
    {
        var (middleware, store) = Create();
        await redis.Connection.GetDatabase().StringSetAsync(prefix + "lang:" + User, "uk");
        const long group = -200;

        await (await RunAsync(middleware, User, User, snapshot: null)).Flow.MoveToAsync(new Step("test.step"));
        await (await RunAsync(middleware, group, User, snapshot: null)).Flow.MoveToAsync(new Step("test.step"));

        var db = redis.Connection.GetDatabase();
        RedisValue[] fields = [ConversationStore.DialogLanguage, ConversationStore.DialogUserName];
        Assert.Equal(["uk", null], (await db.HashGetAsync(store.KeyOf(User, User), fields)).Select(v => (string?)v));
        Assert.Equal(["uk", "Ada"], (await db.HashGetAsync(store.KeyOf(group, User), fields)).Select(v => (string?)v));
    }
}
