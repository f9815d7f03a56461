using System.Diagnostics;
using System.Text;
using Google.Protobuf;
using Mesh.Bot.Grpc;
using Mesh.Bot.Updates;
using Mesh.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Mesh.Bot.Tests.Integration;

/// <summary>
/// <c>TelegramUpdates.AcceptBatch</c> down to Redis (the API, the intake and the queue's one-script enqueue), each test
/// on a key prefix of its own: every update of a batch gets its own status and is queued once, in update_id order.
/// </summary>
public sealed class AcceptBatchTests(RedisServerFixture redis)
{
    const string TraceA = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const string TraceB = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    readonly ChatQueue queue = new(redis.Connection, Options.Create(new BotOptions
    {
        RedisKeyPrefix = RedisServerFixture.NewKeyPrefix("acceptbatch"),
        ReorderWindow = TimeSpan.Zero,
    }));

    TelegramUpdatesApi Api => new(new UpdateIntake(queue, NullLogger<UpdateIntake>.Instance));

    static string Json(long updateId, string text = "/start") => $$$"""{"update_id":{{{updateId}}},"message":{"text":"{{{text}}}"}}""";

    static AcceptItem Item(long updateId, long chat = 42, string? json = null, string traceParent = "") => new()
    {
        UpdateId = updateId,
        ChatId = chat,
        UpdateJson = ByteString.CopyFromUtf8(json ?? Json(updateId)),
        Traceparent = traceParent,
    };

    async Task<List<QueuedEntry>> QueuedAsync(string chat) =>
        [.. (await redis.Connection.GetDatabase().SortedSetRangeByRankAsync(queue.QueueKey(chat))).Select(e => QueuedEntry.Parse((byte[])e!))];

    async Task<IReadOnlyList<AcceptStatus>> AcceptBatchAsync(params AcceptItem[] items)
    {
        var request = new AcceptBatchRequest();
        request.Updates.Add(items);
        return (await Api.AcceptBatch(request, null!)).Statuses;
    }

    [Fact]
    public async Task New_duplicate_and_repeated_updates_get_their_statuses_and_each_is_queued_once()
    {
        Assert.True(await Api.Accept(new AcceptRequest { UpdateId = 1, ChatId = 42, UpdateJson = ByteString.CopyFromUtf8(Json(1)) }, null!) is { Status: AcceptStatus.Accepted });

        var statuses = await AcceptBatchAsync(
            Item(2),
            Item(1),                            // queued before
            Item(3, chat: 43),
            Item(2, json: Json(2, "again")),    // earlier in this batch
            Item(4));

        Assert.Equal([AcceptStatus.Accepted, AcceptStatus.Duplicate, AcceptStatus.Accepted, AcceptStatus.Duplicate, AcceptStatus.Accepted], statuses);
        var chat42 = await QueuedAsync("42");
        Assert.Equal(["1", "2", "4"], chat42.Select(e => e.Id));
        Assert.Equal(Json(2), Encoding.UTF8.GetString(chat42[1].Payload.Span)); // the first of the two, exactly as sent
        Assert.Equal(["3"], (await QueuedAsync("43")).Select(e => e.Id));
        Assert.Equal(4, (await queue.SampleAsync()).Depth);

        // The whole batch again: all duplicates, nothing more queued.
        Assert.All(await AcceptBatchAsync(Item(2), Item(3, chat: 43), Item(4)), s => Assert.Equal(AcceptStatus.Duplicate, s));
        Assert.Equal(4, (await queue.SampleAsync()).Depth);
    }

    [Fact]
    public async Task Updates_arriving_out_of_order_in_a_batch_are_taken_in_update_id_order()
    {
        await AcceptBatchAsync(Item(13), Item(11), Item(15));
        await AcceptBatchAsync(Item(12), Item(14));

        Assert.Equal(["11", "12", "13", "14", "15"], (await QueuedAsync("42")).Select(e => e.Id));
        var first = Assert.IsType<Claim.Leased>(await queue.ClaimAsync("w"));
        Assert.Equal("11", QueuedEntry.Parse(first.Head.Entry).Id);
    }

    [Fact]
    public async Task Invalid_items_are_refused_alone_and_the_rest_of_the_batch_is_queued()
    {
        var statuses = await AcceptBatchAsync(Item(0), Item(21), Item(22, json: ""), Item(-1), Item(23));

        Assert.Equal([AcceptStatus.Invalid, AcceptStatus.Accepted, AcceptStatus.Invalid, AcceptStatus.Invalid, AcceptStatus.Accepted], statuses);
        Assert.Equal(["21", "23"], (await QueuedAsync("42")).Select(e => e.Id));
        Assert.Empty(await AcceptBatchAsync());
    }

    [Fact]
    public async Task Each_update_keeps_the_trace_of_its_own_webhook_request_else_the_call_s()
    {
        using var call = new Activity("AcceptBatch").SetIdFormat(ActivityIdFormat.W3C).Start();

        await AcceptBatchAsync(Item(31, traceParent: TraceA), Item(32, traceParent: TraceB), Item(33), Item(34, traceParent: "not a traceparent"));

        Assert.Equal([TraceA, TraceB, call.Id, call.Id], (await QueuedAsync("42")).Select(e => e.TraceParent));
    }

    [Fact]
    public async Task A_batch_that_gives_chats_work_is_announced_once_with_how_many()
    {
        var wake = await redis.Connection.GetSubscriber().SubscribeAsync(queue.WakeChannel); // delivered in order
        try
        {
            await AcceptBatchAsync(Item(41, chat: 7), Item(42, chat: 8), Item(43, chat: 7), Item(41, chat: 9));
            // Published after the script's announcements, so read after them: the end of what the batch said.
            await redis.Connection.GetDatabase().PublishAsync(queue.WakeChannel, "end");

            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var announced = new List<string>();
            for (var message = (string)(await wake.ReadAsync(deadline.Token)).Message!; message != "end"; message = (string)(await wake.ReadAsync(deadline.Token)).Message!)
            {
                announced.Add(message);
            }
            Assert.Equal(["2"], announced); // chats 7 and 8; chat 9's update was a duplicate

            // More work for a chat that already has some: nothing to announce.
            await AcceptBatchAsync(Item(44, chat: 7));
            await redis.Connection.GetDatabase().PublishAsync(queue.WakeChannel, "end");
            Assert.Equal("end", (string)(await wake.ReadAsync(deadline.Token)).Message!);
        }
        finally
        {
            await wake.UnsubscribeAsync();
        }
    }
}
