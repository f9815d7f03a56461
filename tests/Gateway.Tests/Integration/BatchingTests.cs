using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Mesh.Bot.Grpc;
using Mesh.Gateway.Webhook;
using Mesh.Testing;
using Mesh.Testing.Sandbox;
using Mesh.Testing.Services;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Gateway.Tests.Integration;

/// <summary>
/// The webhook's group commit as seen on the wire: the gateway in-process, so the test can watch (and hold, or fail)
/// its <c>AcceptBatch</c> calls on their way out, in front of a real BotService process and Redis. The bot handles
/// nothing here (a reorder window of an hour): what was queued stays queued, to be counted.
/// </summary>
public sealed class BatchingTests(RedisServerFixture redis) : IAsyncLifetime
{
    readonly string keyPrefix = RedisServerFixture.NewKeyPrefix("batching");
    readonly BotCalls calls = new();
    readonly List<IAsyncDisposable> hosts = [];
    SandboxHost telegram = null!;
    ServiceHost bot = null!;
    long nextUpdateId;

    static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        telegram = await SandboxHost.StartAsync(new Dictionary<string, string?>(), Ct);
        bot = await ServiceHost.StartAsync("BotService", new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = redis.ConnectionString,
            ["Telegram:BotToken"] = telegram.BotToken,
            ["Telegram:ApiBaseUrl"] = telegram.BaseUrl,
            ["Bot:RedisKeyPrefix"] = keyPrefix,
            ["Bot:ReorderWindow"] = "01:00:00",
        }, grpc: true);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in hosts)
        {
            await host.DisposeAsync();
        }
        await bot.DisposeAsync();
        await telegram.DisposeAsync();
    }

    GatewayHost StartGateway(int acceptConcurrency, int? maxBatchBytes = null)
    {
        var gateway = new GatewayHost(bot, calls, acceptConcurrency, maxBatchBytes);
        hosts.Add(gateway);
        return gateway;
    }

    long NewUpdateId() => Interlocked.Increment(ref nextUpdateId);

    async Task<long> QueuedCountAsync() => (long?)await redis.Connection.GetDatabase().StringGetAsync(keyPrefix + "depth") ?? 0;

    Task<bool> IsQueuedAsync(long updateId) => redis.IsUpdateSeenAsync(keyPrefix, updateId);

    [Fact]
    public async Task A_lone_update_goes_at_once_and_updates_arriving_during_calls_share_the_next_one()
    {
        var gateway = StartGateway(acceptConcurrency: 2);
        using var http = gateway.CreateClient();

        var lone = NewUpdateId();
        Assert.Equal(HttpStatusCode.OK, await gateway.PostAsync(http, lone, chat: 1, Ct));
        Assert.Equal([lone], Assert.Single(calls.Batches));

        // A bot that takes 50 ms per call, and 200 updates of 20 chats posted 40 at a time.
        calls.BeforeSend = _ => Task.Delay(50);
        var ids = Enumerable.Range(0, 200).Select(_ => NewUpdateId()).ToList();
        using var connections = new SemaphoreSlim(40);
        var statuses = await Task.WhenAll(ids.Select(async id =>
        {
            await connections.WaitAsync(Ct);
            try
            {
                return await gateway.PostAsync(http, id, chat: id % 20, Ct);
            }
            finally
            {
                connections.Release();
            }
        }));

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        var batches = calls.Batches.Skip(1).ToList();
        Assert.Equal(ids.Order(), batches.SelectMany(b => b).Order()); // each update sent once
        Assert.True(batches.Count <= ids.Count / 4, $"{batches.Count} calls for {ids.Count} updates");
        Assert.Equal(1 + ids.Count, await QueuedCountAsync());
    }

    [Fact]
    public async Task A_lone_update_is_sent_and_queued_in_the_trace_of_its_webhook_request()
    {
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is GatewayTelemetry.Name or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        var gateway = StartGateway(acceptConcurrency: 2);
        using var http = gateway.CreateClient();
        var trace = ActivityTraceId.CreateRandom();
        var updateId = NewUpdateId();

        // Telegram sends no traceparent; one here stands for the trace the gateway's request span is in.
        Assert.Equal(HttpStatusCode.OK, await gateway.PostAsync(http, updateId, chat: 77, Ct, traceParent: $"00-{trace}-{ActivitySpanId.CreateRandom()}-01"));

        var (call, updates) = Assert.Single(calls.Traces);
        Assert.Equal(trace, call);
        Assert.Equal(trace.ToString(), ActivityContext.Parse(Assert.Single(updates), null).TraceId.ToString());
        var entry = Assert.Single(await redis.Connection.GetDatabase().SortedSetRangeByRankAsync(keyPrefix + "q:77")).ToString();
        Assert.StartsWith($"u {updateId} 00-{trace}-", entry, StringComparison.Ordinal); // the worker continues it
    }

    [Fact]
    public async Task Request_abandoned_while_waiting_is_left_out_and_its_batch_mates_are_acknowledged()
    {
        var gateway = StartGateway(acceptConcurrency: 1);
        using var http = gateway.CreateClient();
        var (first, b, c, d) = (NewUpdateId(), NewUpdateId(), NewUpdateId(), NewUpdateId());
        var released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        calls.BeforeSend = batch => batch.Contains(first) ? released.Task : Task.CompletedTask;

        // The one call allowed is held: the next updates wait for it.
        var firstPost = gateway.PostAsync(http, first, chat: 1, Ct);
        await Until.TrueAsync(() => calls.Batches.Count == 1, "the first call");
        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var posts = new[] { gateway.PostAsync(http, b, chat: 1, Ct), gateway.PostAsync(http, c, chat: 2, Ct) };
        var abandoned = gateway.PostAsync(http, d, chat: 1, abandon.Token);
        await Until.TrueAsync(() => gateway.Batcher.WaitingCount == 3, "three updates waiting");

        await abandon.CancelAsync(); // Telegram gave up on this delivery (it will deliver it again); the gateway has seen it once this returns
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        released.SetResult();

        Assert.Equal(HttpStatusCode.OK, await firstPost);
        Assert.All(await Task.WhenAll(posts), s => Assert.Equal(HttpStatusCode.OK, s));
        var batches = calls.Batches;
        Assert.Equal(2, batches.Count);
        Assert.Equal([first], batches[0]);
        Assert.Equal([b, c], batches[1].Order());
        Assert.True(await IsQueuedAsync(b) && await IsQueuedAsync(c));
        Assert.False(await IsQueuedAsync(d));
    }

    [Fact]
    public async Task Updates_over_the_byte_limit_of_a_call_go_in_the_next_one_and_every_one_is_acknowledged()
    {
        var (first, b, c, d, e) = (NewUpdateId(), NewUpdateId(), NewUpdateId(), NewUpdateId(), NewUpdateId());
        var size = Encoding.UTF8.GetByteCount(UpdatePathHost.TextUpdate(b, 1, "/start"));
        var gateway = StartGateway(acceptConcurrency: 1, maxBatchBytes: 2 * size + size / 2); // two updates a call
        using var http = gateway.CreateClient();
        var released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        calls.BeforeSend = batch => batch.Contains(first) ? released.Task : Task.CompletedTask;

        // The one call allowed is held while four more updates wait behind it.
        var firstPost = gateway.PostAsync(http, first, chat: 1, Ct);
        await Until.TrueAsync(() => calls.Batches.Count == 1, "the first call");
        var posts = new[] { b, c, d, e }.Select(id => gateway.PostAsync(http, id, chat: id % 3, Ct)).ToArray();
        await Until.TrueAsync(() => gateway.Batcher.WaitingCount == 4, "four updates waiting");
        released.SetResult();

        Assert.Equal(HttpStatusCode.OK, await firstPost);
        Assert.All(await Task.WhenAll(posts), s => Assert.Equal(HttpStatusCode.OK, s));
        var batches = calls.Batches;
        Assert.Equal(3, batches.Count); // [first], then two calls of two: none over the limit, none lost or sent twice
        Assert.All(batches.Skip(1), batch => Assert.Equal(2, batch.Length));
        Assert.Equal([b, c, d, e], batches.Skip(1).SelectMany(batch => batch).Order());
        foreach (var id in new[] { b, c, d, e })
        {
            Assert.True(await IsQueuedAsync(id));
        }
    }

    [Fact]
    public async Task Update_of_a_request_already_gone_is_answered_unavailable_and_never_sent()
    {
        var gateway = StartGateway(acceptConcurrency: 1);
        using var http = gateway.CreateClient();
        var (gone, next) = (NewUpdateId(), NewUpdateId());
        using var aborted = new CancellationTokenSource();
        await aborted.CancelAsync();

        var outcome = await gateway.Batcher.AcceptAsync(new UpdateEnvelope(gone, 1), Encoding.UTF8.GetBytes(UpdatePathHost.TextUpdate(gone, 1, "/start")), aborted.Token);

        Assert.Equal(AcceptOutcome.Unavailable, outcome); // 503: Telegram delivers it again
        Assert.Equal(HttpStatusCode.OK, await gateway.PostAsync(http, next, chat: 1, Ct));
        Assert.Equal([[next]], calls.Batches); // the withdrawn update went in no call
        Assert.False(await IsQueuedAsync(gone));
        Assert.True(await IsQueuedAsync(next));
    }

    [Fact]
    public async Task Request_abandoned_during_its_call_does_not_fail_its_batch_mates()
    {
        var gateway = StartGateway(acceptConcurrency: 1);
        using var http = gateway.CreateClient();
        var (first, b, c, d) = (NewUpdateId(), NewUpdateId(), NewUpdateId(), NewUpdateId());
        var firstReleased = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var batchReleased = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        calls.BeforeSend = batch => batch.Contains(first) ? firstReleased.Task : batch.Contains(d) ? batchReleased.Task : Task.CompletedTask;

        var firstPost = gateway.PostAsync(http, first, chat: 1, Ct);
        await Until.TrueAsync(() => calls.Batches.Count == 1, "the first call");
        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var posts = new[] { gateway.PostAsync(http, b, chat: 1, Ct), gateway.PostAsync(http, c, chat: 2, Ct) };
        var abandoned = gateway.PostAsync(http, d, chat: 1, abandon.Token);
        await Until.TrueAsync(() => gateway.Batcher.WaitingCount == 3, "three updates waiting");
        firstReleased.SetResult();
        await Until.TrueAsync(() => calls.Batches.Count == 2, "the batch's call");

        await abandon.CancelAsync(); // while its call is in flight: the gateway has seen the request go once this returns
        batchReleased.SetResult();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);

        Assert.Equal(HttpStatusCode.OK, await firstPost);
        Assert.All(await Task.WhenAll(posts), s => Assert.Equal(HttpStatusCode.OK, s));
        var batches = calls.Batches;
        Assert.Equal(2, batches.Count);
        Assert.Equal([first], batches[0]);
        Assert.Equal([b, c, d], batches[1].Order());
        Assert.True(await IsQueuedAsync(b) && await IsQueuedAsync(c) && await IsQueuedAsync(d));
    }

    [Fact]
    public async Task Bot_unreachable_means_503_for_every_update_of_a_batch_and_200_once_it_is_back()
    {
        var gateway = StartGateway(acceptConcurrency: 2);
        using var http = gateway.CreateClient();
        calls.BeforeSend = async _ =>
        {
            await Task.Delay(20);
            throw new HttpRequestException("connection refused (test)", new SocketException((int)SocketError.ConnectionRefused));
        };
        var ids = Enumerable.Range(0, 40).Select(_ => NewUpdateId()).ToList();

        var statuses = await Task.WhenAll(ids.Select(id => gateway.PostAsync(http, id, chat: id % 5, Ct)));

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.ServiceUnavailable, s));
        Assert.Contains(calls.Batches, b => b.Length > 1);
        Assert.Equal(0, await QueuedCountAsync());

        calls.BeforeSend = _ => Task.CompletedTask;
        Assert.All(await Task.WhenAll(ids.Select(id => gateway.PostAsync(http, id, chat: id % 5, Ct))), s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(ids.Count, await QueuedCountAsync());
    }

    /// <summary>The gateway in-process (TestServer), with every call to the bot passing through <see cref="BotCalls"/>.</summary>
    sealed class GatewayHost(ServiceHost bot, BotCalls calls, int acceptConcurrency, int? maxBatchBytes) : WebApplicationFactory<TelegramWebhookEndpoint>
    {
        public UpdateBatcher Batcher => Services.GetRequiredService<UpdateBatcher>();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.ConfigureAppConfiguration(config => config.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Telegram:WebhookSecret"] = UpdatePathHost.Secret,
                ["services:bot:grpc:0"] = bot.GrpcUrl,
                ["services:bot:http:0"] = bot.HttpUrl,
                ["Gateway:AcceptConcurrency"] = acceptConcurrency.ToString(CultureInfo.InvariantCulture),
                // The default unless given (an empty value would bind as 0).
                ["Gateway:AcceptBatchMaxBytes"] = (maxBatchBytes ?? new UpdateBatchOptions().AcceptBatchMaxBytes).ToString(CultureInfo.InvariantCulture),
                ["Logging:LogLevel:Default"] = "Warning",
            }));
            builder.ConfigureTestServices(services => services
                .AddHttpClient(nameof(TelegramUpdates.TelegramUpdatesClient))
                .AddHttpMessageHandler(() => new Recorder(calls)));
        }

        public async Task<HttpStatusCode> PostAsync(HttpClient http, long updateId, long chat, CancellationToken ct, string? traceParent = null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, TelegramWebhookEndpoint.Route)
            {
                Content = new StringContent(UpdatePathHost.TextUpdate(updateId, chat, "/start"), Encoding.UTF8, "application/json"),
            };
            request.Headers.Add(WebhookSecret.Header, UpdatePathHost.Secret);
            if (traceParent is not null)
            {
                request.Headers.Add("traceparent", traceParent);
            }
            using var response = await http.SendAsync(request, ct);
            return response.StatusCode;
        }
    }

    /// <summary>The AcceptBatch calls the gateway made (their update ids), and what happens before each goes on to the bot.</summary>
    sealed class BotCalls
    {
        readonly List<long[]> batches = [];
        readonly List<(ActivityTraceId? Call, string[] Updates)> traces = [];

        /// <summary>Runs before a call goes on: a delay is a slow bot, an exception an unreachable one, an unfinished task a stuck one.</summary>
        public Func<long[], Task> BeforeSend { get; set; } = _ => Task.CompletedTask;

        public List<long[]> Batches
        {
            get { lock (batches) { return [.. batches]; } }
        }

        /// <summary>Per call: the trace it was made in, and the traceparent of each of its updates.</summary>
        public List<(ActivityTraceId? Call, string[] Updates)> Traces
        {
            get { lock (batches) { return [.. traces]; } }
        }

        public Task SendingAsync(AcceptBatchRequest batch)
        {
            var updateIds = batch.Updates.Select(u => u.UpdateId).ToArray();
            lock (batches)
            {
                batches.Add(updateIds);
                traces.Add((Activity.Current?.TraceId, [.. batch.Updates.Select(u => u.Traceparent)]));
            }
            return BeforeSend(updateIds);
        }
    }

    sealed class Recorder(BotCalls calls) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri!.AbsolutePath.EndsWith("/AcceptBatch", StringComparison.Ordinal))
            {
                // One gRPC message: a 5-byte frame header, then the request.
                var body = await request.Content!.ReadAsByteArrayAsync(cancellationToken);
                var batch = AcceptBatchRequest.Parser.ParseFrom(body.AsSpan(5));
                await calls.SendingAsync(batch).WaitAsync(cancellationToken);
            }
            return await base.SendAsync(request, cancellationToken);
        }
    }
}
