using Mesh.Bot.Telegram;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.Bot.Tests.Unit;

/// <summary>The bot's own flood limits, on a clock the test moves: when each message may go, and what an idle bot costs.</summary>
public sealed class SendRateLimitsTests
{
    /// <summary>A test clock that counts the timers asked of it (a wait over a limit is one; nothing else should be).</summary>
    sealed class CountingClock : FakeTimeProvider
    {
        public int TimersCreated { get; private set; }

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            TimersCreated++;
            return base.CreateTimer(callback, state, dueTime, period);
        }
    }

    readonly CountingClock clock = new();

    SendRateLimits Limits(double perChatPerSecond = 0, int perChatBurst = 1, double globalPerSecond = 0, int globalBurst = 1,
        double perGroupPerMinute = 0, int perGroupBurst = 1) =>
        new(Options.Create(new TelegramOptions
        {
            PerChatPerSecond = perChatPerSecond,
            PerChatBurst = perChatBurst,
            GlobalPerSecond = globalPerSecond,
            GlobalBurst = globalBurst,
            PerGroupPerMinute = perGroupPerMinute,
            PerGroupBurst = perGroupBurst,
        }), clock);

    const long Group = -1001234567890, OtherGroup = -4012345678;

    static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Moves the clock on by <paramref name="wait"/>: <paramref name="message"/> has not gone a millisecond before, and has at the end.</summary>
    void AssertGoesAfter(TimeSpan wait, Task message, string what)
    {
        clock.Advance(wait - TimeSpan.FromMilliseconds(1));
        Assert.False(message.IsCompleted, $"{what} went before {wait.TotalMilliseconds} ms had passed");
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(message.IsCompletedSuccessfully, $"{what} had not gone after {wait.TotalMilliseconds} ms");
    }

    [Fact]
    public void Messages_within_the_burst_go_at_once_and_the_next_waits_one_interval()
    {
        var limits = Limits(perChatPerSecond: 1, perChatBurst: 3);

        for (var i = 0; i < 3; i++)
        {
            Assert.True(limits.WaitAsync(42, Ct).IsCompletedSuccessfully, $"message {i + 1} of a burst of 3 waited");
        }
        var fourth = limits.WaitAsync(42, Ct).AsTask();
        var fifth = limits.WaitAsync(42, Ct).AsTask();

        AssertGoesAfter(TimeSpan.FromSeconds(1), fourth, "the 4th message");
        AssertGoesAfter(TimeSpan.FromSeconds(1), fifth, "the 5th message");
    }

    [Fact]
    public void A_quiet_spell_gives_the_burst_back_and_no_more()
    {
        var limits = Limits(perChatPerSecond: 2, perChatBurst: 2);
        Assert.True(limits.WaitAsync(7, Ct).IsCompletedSuccessfully);
        Assert.True(limits.WaitAsync(7, Ct).IsCompletedSuccessfully);

        clock.Advance(TimeSpan.FromMinutes(5));

        Assert.True(limits.WaitAsync(7, Ct).IsCompletedSuccessfully);
        Assert.True(limits.WaitAsync(7, Ct).IsCompletedSuccessfully);
        Assert.False(limits.WaitAsync(7, Ct).IsCompleted, "five idle minutes saved up more than a burst");
    }

    [Fact]
    public void A_chat_at_its_limit_does_not_hold_up_another_chat()
    {
        var limits = Limits(perChatPerSecond: 1);
        Assert.True(limits.WaitAsync(1, Ct).IsCompletedSuccessfully);
        var second = limits.WaitAsync(1, Ct);

        Assert.True(limits.WaitAsync(2, Ct).IsCompletedSuccessfully, "chat 2 waited for chat 1's limit");
        Assert.False(second.IsCompleted);
    }

    [Fact]
    public void Global_limit_spaces_messages_across_chats()
    {
        var limits = Limits(globalPerSecond: 2);
        Assert.True(limits.WaitAsync(1, Ct).IsCompletedSuccessfully);
        var other = limits.WaitAsync(2, Ct).AsTask();

        AssertGoesAfter(TimeSpan.FromMilliseconds(500), other, "a second chat's message");
    }

    [Fact]
    public void A_message_waits_for_its_chat_then_for_the_global_limit()
    {
        var limits = Limits(perChatPerSecond: 1, globalPerSecond: 1);
        Assert.True(limits.WaitAsync(1, Ct).IsCompletedSuccessfully);
        var again = limits.WaitAsync(1, Ct).AsTask(); // chat 1 free again at 1 s, the global slot it then takes is at 2 s
        var other = limits.WaitAsync(2, Ct).AsTask(); // global slot at 1 s

        AssertGoesAfter(TimeSpan.FromSeconds(1), other, "chat 2's message");
        AssertGoesAfter(TimeSpan.FromSeconds(1), again, "chat 1's second message, after chat 2's global slot,");
    }

    [Fact]
    public void Waiting_messages_go_in_the_order_they_came()
    {
        var limits = Limits(globalPerSecond: 10);
        Assert.True(limits.WaitAsync(1, Ct).IsCompletedSuccessfully);
        var went = new List<int>();
        var waits = Enumerable.Range(1, 5).Select(i => limits.WaitAsync(i, Ct).AsTask().ContinueWith(_ => went.Add(i), TaskContinuationOptions.ExecuteSynchronously)).ToArray();

        for (var step = 1; step <= 5; step++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(100));
            Assert.Equal(Enumerable.Range(1, step), went);
        }
        Assert.All(waits, w => Assert.True(w.IsCompletedSuccessfully));
    }

    [Fact]
    public void Within_its_limits_the_bot_starts_no_timer_busy_or_idle()
    {
        var limits = Limits(perChatPerSecond: 1, perChatBurst: 3, globalPerSecond: 30, globalBurst: 30);
        for (var round = 0; round < 10; round++)
        {
            for (var chat = 0; chat < 30; chat++)
            {
                Assert.True(limits.WaitAsync(chat, Ct).IsCompletedSuccessfully);
            }
            clock.Advance(TimeSpan.FromSeconds(1));
        }
        clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(0, clock.TimersCreated);

        for (var i = 0; i < 30; i++)
        {
            _ = limits.WaitAsync(1000 + i, Ct);
        }
        _ = limits.WaitAsync(2000, Ct); // the 31st message in a second: over the global limit
        Assert.Equal(1, clock.TimersCreated);
    }

    [Fact]
    public void Chats_not_messaged_lately_are_forgotten()
    {
        var limits = Limits(perChatPerSecond: 1, perChatBurst: 3);
        for (var chat = 0; chat < 20_000; chat++)
        {
            if (chat % 1000 == 0)
            {
                clock.Advance(TimeSpan.FromSeconds(10)); // each thousand chats messaged long after the one before
            }
            Assert.True(limits.WaitAsync(chat, Ct).IsCompletedSuccessfully);
        }

        Assert.InRange(limits.ChatsTracked, 1000, 3000);
        // The last chat messaged is remembered: two more go within its burst of 3, the one after waits.
        Assert.True(limits.WaitAsync(19_999, Ct).IsCompletedSuccessfully);
        Assert.True(limits.WaitAsync(19_999, Ct).IsCompletedSuccessfully);
        Assert.False(limits.WaitAsync(19_999, Ct).IsCompleted, "a chat was forgotten while its limit still held");
    }

    [Fact]
    public void A_group_s_messages_beyond_its_burst_are_spaced_a_minute_over_its_rate_apart()
    {
        var limits = Limits(perGroupPerMinute: 20, perGroupBurst: 3);

        for (var i = 0; i < 3; i++)
        {
            Assert.True(limits.WaitAsync(Group, Ct).IsCompletedSuccessfully, $"message {i + 1} of a group's burst of 3 waited");
        }
        var waiting = Enumerable.Range(4, 3).Select(_ => limits.WaitAsync(Group, Ct).AsTask()).ToList();

        for (var i = 0; i < waiting.Count; i++)
        {
            AssertGoesAfter(TimeSpan.FromSeconds(3), waiting[i], $"the group's message {i + 4}"); // 60 s / 20
        }
        clock.Advance(TimeSpan.FromMinutes(1));
        for (var i = 0; i < 3; i++)
        {
            Assert.True(limits.WaitAsync(Group, Ct).IsCompletedSuccessfully, "a quiet minute did not give the burst back");
        }
    }

    [Fact]
    public void A_group_at_its_limit_holds_up_neither_a_private_chat_nor_another_group()
    {
        var limits = Limits(perGroupPerMinute: 20, perGroupBurst: 1);
        Assert.True(limits.WaitAsync(Group, Ct).IsCompletedSuccessfully);
        var second = limits.WaitAsync(Group, Ct);

        for (var i = 0; i < 100; i++)
        {
            Assert.True(limits.WaitAsync(42, Ct).IsCompletedSuccessfully, $"a private chat's message {i + 1} waited for the group limit");
        }
        Assert.True(limits.WaitAsync(OtherGroup, Ct).IsCompletedSuccessfully, "another group waited for the first one's limit");
        Assert.False(second.IsCompleted);
        Assert.Equal(2, limits.GroupsTracked); // the private chat has no group schedule
        Assert.Equal(1, clock.TimersCreated); // the group's second message's wait, and nothing for the private chat
    }

    [Fact]
    public void A_group_s_message_waits_for_its_chat_then_its_group_then_the_global_limit()
    {
        var limits = Limits(perChatPerSecond: 1, globalPerSecond: 1, perGroupPerMinute: 20);
        Assert.True(limits.WaitAsync(Group, Ct).IsCompletedSuccessfully);
        // Its chat is free at 1 s, the group's moment it then takes is at 3 s, and the global one is free then (the
        // private chat's message took the one at 1 s).
        var again = limits.WaitAsync(Group, Ct).AsTask();
        var other = limits.WaitAsync(42, Ct).AsTask();

        AssertGoesAfter(TimeSpan.FromSeconds(1), other, "the private chat's message");
        AssertGoesAfter(TimeSpan.FromSeconds(2), again, "the group's second message");
    }

    [Fact]
    public void A_group_s_message_waits_for_its_chat_s_limit_even_while_its_group_s_has_room()
    {
        // One message per 4 s to a chat; the group's own limit has room for two at once.
        var limits = Limits(perChatPerSecond: 0.25, perGroupPerMinute: 20, perGroupBurst: 2);
        Assert.True(limits.WaitAsync(Group, Ct).IsCompletedSuccessfully);

        var again = limits.WaitAsync(Group, Ct).AsTask();

        AssertGoesAfter(TimeSpan.FromSeconds(4), again, "the group's second message"); // the chat's limit decides
    }

    [Fact]
    public void A_group_s_message_waits_for_its_group_s_limit_once_its_chat_s_has_let_it_go()
    {
        // The chat allows two at once; the group, one message per 3 s.
        var limits = Limits(perChatPerSecond: 1, perChatBurst: 2, perGroupPerMinute: 20);
        Assert.True(limits.WaitAsync(Group, Ct).IsCompletedSuccessfully);

        var again = limits.WaitAsync(Group, Ct).AsTask();

        AssertGoesAfter(TimeSpan.FromSeconds(3), again, "the group's second message"); // the group's limit decides
    }

    [Fact]
    public void Groups_not_messaged_lately_are_forgotten()
    {
        var limits = Limits(perGroupPerMinute: 20, perGroupBurst: 3);
        for (var group = 1; group <= 20_000; group++)
        {
            if (group % 1000 == 0)
            {
                clock.Advance(TimeSpan.FromSeconds(30)); // each thousand groups messaged long after the one before
            }
            Assert.True(limits.WaitAsync(-group, Ct).IsCompletedSuccessfully);
        }

        Assert.InRange(limits.GroupsTracked, 1000, 3000);
        // The last group messaged is remembered: two more go within its burst of 3, the one after waits.
        Assert.True(limits.WaitAsync(-20_000, Ct).IsCompletedSuccessfully);
        Assert.True(limits.WaitAsync(-20_000, Ct).IsCompletedSuccessfully);
        Assert.False(limits.WaitAsync(-20_000, Ct).IsCompleted, "a group was forgotten while its limit still held");
    }

    [Fact]
    public async Task A_cancelled_wait_ends_with_cancellation()
    {
        var limits = Limits(perChatPerSecond: 1);
        Assert.True(limits.WaitAsync(1, Ct).IsCompletedSuccessfully);
        using var cancel = new CancellationTokenSource();
        var waiting = limits.WaitAsync(1, cancel.Token).AsTask();

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
    }

    [Fact]
    public void No_limits_configured_means_no_waiting()
    {
        var limits = Limits();
        for (var i = 0; i < 1000; i++)
        {
            Assert.True(limits.WaitAsync(1, Ct).IsCompletedSuccessfully);
            Assert.True(limits.WaitAsync(Group, Ct).IsCompletedSuccessfully);
        }
        Assert.Equal(0, limits.ChatsTracked);
        Assert.Equal(0, limits.GroupsTracked);
    }
}
