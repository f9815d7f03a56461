using System.Text;
using Mesh.Bot.Updates;
using Mesh.Testing;
using Microsoft.Extensions.Options;

namespace Mesh.Bot.Tests.Integration;

public sealed class ChatQueueTests(RedisServerFixture redis)
{
    ChatQueue NewQueue(TimeSpan? lease = null) => new(redis.Connection, Options.Create(new BotOptions
    {
        RedisKeyPrefix = RedisServerFixture.NewKeyPrefix("chatqueue"),
        LeaseDuration = lease ?? TimeSpan.FromSeconds(30),
        ReorderWindow = TimeSpan.Zero,
    }));

    static Task<bool> EnqueueAsync(ChatQueue queue, long updateId, string chat = "42") =>
        queue.EnqueueAsync($"u:{updateId}", chat, QueuedEntry.HeaderPrefix(EntryKind.Update, updateId.ToString(), null), Encoding.UTF8.GetBytes($"{{\"update_id\":{updateId}}}"), updateId);

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
}
