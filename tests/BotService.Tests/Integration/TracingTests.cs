using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Mesh.Bot.Grpc;
using Mesh.Testing;
using Mesh.Testing.Sandbox;
using Mesh.Testing.Services;
using Mesh.TelegramSandbox.Client;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using StackExchange.Redis;

namespace Mesh.Bot.Tests.Integration;

/// <summary>
/// What the bot records for the dashboard's Traces page, collected in-process as its exporter would get it: the bot
/// in-process with telemetry on (an OTLP endpoint nobody listens on), polling the sandbox. While idle its workers,
/// queue sampler and Redis client call Redis all the time and probes ask /health: none of that starts a trace. An
/// update's handling is recorded whole, whether it arrived over gRPC in a trace of the gateway's or by polling.
/// </summary>
public sealed class TracingTests(RedisServerFixture redis) : IAsyncLifetime
{
    readonly string redisConnection = redis.ConnectionString;
    const string TraceParent = "00-5e1f0c8a4d2b4e6f9a7c3b1d2e4f6a8b-1a2b3c4d5e6f7081-01";

    readonly SpanCollector spans = new();
    readonly string keyPrefix = RedisServerFixture.NewKeyPrefix("tracing");
    SandboxHost sandbox = null!;
    BotHost bot = null!;

    static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        sandbox = await SandboxHost.StartAsync(new Dictionary<string, string?>(), Ct);
        bot = new BotHost(this);
        _ = bot.Server; // starts the host
    }

    public async ValueTask DisposeAsync()
    {
        await bot.DisposeAsync();
        await sandbox.DisposeAsync();
    }

    [Fact]
    public async Task An_idle_bot_records_no_trace_of_its_background_Redis_calls_nor_of_health_probes()
    {
        using var http = bot.CreateClient();
        foreach (var probe in (string[])["/health", "/alive", "/ready"])
        {
            Assert.True((await http.GetAsync(probe, Ct)).IsSuccessStatusCode, probe);
        }

        // A Redis call inside a span of ours: recorded when the instrumentation drains its sessions, and the same drain
        // carries (first) the calls made outside any span since the host started: the idle workers' claims every 200 ms,
        // the subscription, the Redis client's own.
        using (var traced = BotTelemetry.Source.StartActivity("TracingTests.Ping"))
        {
            Assert.NotNull(traced);
            await bot.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase().PingAsync();
        }
        await Until.TrueAsync(() => spans.Recorded.Any(s => IsRedis(s) && s.ParentSpanId != default), TimeSpan.FromSeconds(30),
            "the Redis call inside a span to be recorded");

        var rootRedis = spans.Recorded.Where(s => IsRedis(s) && s.ParentSpanId == default).Select(s => s.DisplayName).ToList();
        Assert.True(rootRedis.Count == 0, $"Redis calls recorded as traces of their own: {string.Join(", ", rootRedis.Distinct())} ({rootRedis.Count})");
        var probes = spans.Recorded.Where(s => s.GetTagItem("url.path") is "/health" or "/alive" or "/ready").Select(s => s.DisplayName).ToList();
        Assert.True(probes.Count == 0, $"health probes traced: {string.Join(", ", probes)}");
        // The bot polls the sandbox (a long poll of 1 s), so by now it has polled several times.
        var polls = spans.Recorded.Count(s => (s.GetTagItem("url.full") as string)?.Contains("/getUpdates", StringComparison.Ordinal) == true);
        Assert.True(polls == 0, $"getUpdates long polls traced: {polls}");
    }

    [Fact]
    public async Task An_update_is_recorded_whole_from_the_gRPC_call_through_Redis_and_its_handling_to_sendMessage()
    {
        // The user writes first (polled: a handling trace started by the worker's claim), so the chat exists for replies.
        var user = SandboxMesh.NewUser("Grace");
        var first = await sandbox.Client.SendTextAsync(sandbox.BotToken, user, "/help", Ct);
        await Until.TrueAsync(async () => (await sandbox.Client.GetBotMessagesAsync(sandbox.BotToken, user.Id, Ct)).Any(), TimeSpan.FromSeconds(20),
            "the bot's answer to /help");

        // Then an update as the gateway hands it over, in the trace of its webhook request (the gRPC call and the item).
        using var channel = GrpcChannel.ForAddress(bot.Server.BaseAddress, new GrpcChannelOptions { HttpHandler = bot.Server.CreateHandler() });
        var updateId = 1_950_000_000 + Random.Shared.Next(1_000_000);
        var request = new AcceptBatchRequest();
        request.Updates.Add(new AcceptItem
        {
            UpdateId = updateId,
            ChatId = user.Id,
            UpdateJson = ByteString.CopyFromUtf8(UpdatePathHost.TextUpdate(updateId, user.Id, "/start", "Grace")),
            Traceparent = TraceParent,
        });
        using (new Activity("POST /telegram/webhook").SetParentId(TraceParent).Start())
        {
            await channel.CreateCallInvoker().AsyncUnaryCall(AcceptBatch, null, new CallOptions(), request);
        }

        var traceId = ActivityTraceId.CreateFromString("5e1f0c8a4d2b4e6f9a7c3b1d2e4f6a8b");
        await Until.TrueAsync(() => Names(traceId).Contains("sendMessage") && Names(traceId).Contains("HandleUpdate"), TimeSpan.FromSeconds(30),
            "the /start's handling and sendMessage in the gateway's trace");
        await Until.TrueAsync(() => spans.Recorded.Any(s => s.TraceId == traceId && IsRedis(s) && s.Kind == ActivityKind.Client), TimeSpan.FromSeconds(30),
            "the /start's Redis calls in the gateway's trace");
        var chain = spans.Recorded.Where(s => s.TraceId == traceId).ToList();
        Assert.True(chain.Any(s => s.Kind == ActivityKind.Server && s.DisplayName.Contains("AcceptBatch", StringComparison.Ordinal)),
            string.Join(", ", chain.Select(s => $"{s.Kind} {s.DisplayName}")));
        Assert.Contains(chain, s => s.DisplayName == "Route");
        Assert.Contains(chain, s => s.DisplayName.StartsWith("POST", StringComparison.Ordinal) && s.Kind == ActivityKind.Client); // the Bot API request

        // The polled /help: a trace of its own, started by the handling.
        var polled = spans.Recorded.Where(s => s.DisplayName == "HandleUpdate" && s.ParentSpanId == default && s.GetTagItem("telegram.update_id") is string id && id == first.UpdateId?.ToString(CultureInfo.InvariantCulture)).ToList();
        var handling = Assert.Single(polled);
        await Until.TrueAsync(() => Names(handling.TraceId).Contains("sendMessage"), "the polled /help's sendMessage in its handling's trace");
    }

    [Fact]
    public async Task A_bot_in_webhook_mode_records_its_webhook_s_reconciliation_at_start_but_no_trace_of_each_check_after()
    {
        await bot.DisposeAsync(); // this test's own bot, in webhook mode, checking the webhook every second
        bot = new BotHost(this, new Dictionary<string, string>
        {
            ["Telegram:PublicUrl"] = "https://bot.example",
            ["Telegram:WebhookSecret"] = "tracing-tests-secret",
            ["Telegram:WebhookCheckInterval"] = "00:00:01",
        });
        _ = bot.Server;
        var checksAtStart = 0L;
        await Until.TrueAsync(async () => (checksAtStart = (await sandbox.Client.GetCallsAsync(sandbox.BotToken, Ct)).Of("getWebhookInfo")) >= 1,
            TimeSpan.FromSeconds(20), "the webhook's reconciliation at start");
        // Three more checks, a second apart.
        await Until.TrueAsync(async () => (await sandbox.Client.GetCallsAsync(sandbox.BotToken, Ct)).Of("getWebhookInfo") >= checksAtStart + 3,
            TimeSpan.FromSeconds(20), "three periodic webhook checks");
        // Spans are recorded when they end: a Redis call in a span of ours drains what came before it.
        using (BotTelemetry.Source.StartActivity("TracingTests.Ping"))
        {
            await bot.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase().PingAsync();
        }
        await Until.TrueAsync(() => spans.Recorded.Any(s => IsRedis(s) && s.ParentSpanId != default), TimeSpan.FromSeconds(30), "the Redis call inside a span");

        var checks = spans.Recorded.Count(s => (s.GetTagItem("url.full") as string)?.Contains("/getWebhookInfo", StringComparison.Ordinal) == true);
        Assert.InRange(checks, 1, checksAtStart); // the reconciliation at start only
    }

    static readonly Method<AcceptBatchRequest, AcceptBatchReply> AcceptBatch = new(MethodType.Unary, "mesh.bot.TelegramUpdates", "AcceptBatch",
        Marshallers.Create(r => r.ToByteArray(), AcceptBatchRequest.Parser.ParseFrom),
        Marshallers.Create(r => r.ToByteArray(), AcceptBatchReply.Parser.ParseFrom));

    List<string> Names(ActivityTraceId traceId) => [.. spans.Recorded.Where(s => s.TraceId == traceId).Select(s => s.DisplayName)];

    static bool IsRedis(Activity span) => span.Source.Name.Contains("StackExchangeRedis", StringComparison.Ordinal);

    sealed class BotHost(TracingTests test, IReadOnlyDictionary<string, string>? settings = null) : WebApplicationFactory<TelegramUpdatesApi>
    {
        public TimeSpan IdlePoll { get; } = TimeSpan.FromMilliseconds(200);

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            // Host settings: read by the service before its host is built (telemetry on or off, the connection string).
            foreach (var (key, value) in new Dictionary<string, string>
            {
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:9",
                ["ConnectionStrings:redis"] = test.redisConnection,
                ["Telegram:BotToken"] = test.sandbox.BotToken,
                ["Telegram:ApiBaseUrl"] = test.sandbox.BaseUrl,
                ["Telegram:PublicUrl"] = "",
                ["Telegram:WebhookSecret"] = "",
                ["Telegram:PerChatPerSecond"] = "0",
                ["Telegram:GlobalPerSecond"] = "0",
                ["Telegram:PollingTimeout"] = "00:00:01",
                ["Bot:RedisKeyPrefix"] = test.keyPrefix,
                ["Bot:IdlePollInterval"] = IdlePoll.ToString(),
                ["Bot:ReorderWindow"] = "00:00:00.050",
                ["Logging:LogLevel:Default"] = "Warning",
            })
            {
                builder.UseSetting(key, value);
            }
            foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            {
                builder.UseSetting(key, value);
            }
            builder.ConfigureTestServices(services => services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddProcessor(test.spans)));
        }
    }
}
