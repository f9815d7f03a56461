using System.Diagnostics;
using Mesh.Testing;
using Mesh.Testing.Sandbox;
using Mesh.Testing.Services;
using Mesh.TelegramSandbox.Client;
using StackExchange.Redis;
using Telegram.Bot;

namespace Mesh.Bot.Tests.Operations;

/// <summary>
/// Polling mode (no <c>Telegram:PublicUrl</c>) with real BotService processes, real Redis and the sandbox as Telegram:
/// one replica polls, chosen by the Redis lease; the other takes over when it dies or stops.
/// </summary>
public sealed class PollingModeTests(RedisServerFixture redis, SandboxProcess sandbox) : IClassFixture<SandboxProcess>, IAsyncDisposable
{
    static readonly TimeSpan Lease = TimeSpan.FromSeconds(3);
    static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    readonly string token = SandboxHost.NewBotToken();
    readonly string prefix = RedisServerFixture.NewKeyPrefix("polling");
    readonly List<ServiceHost> replicas = [];

    static CancellationToken Ct => TestContext.Current.CancellationToken;

    async Task<ServiceHost> StartReplicaAsync(TimeSpan lease)
    {
        var replica = await ServiceHost.StartAsync("BotService", new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = redis.ConnectionString,
            ["Telegram:BotToken"] = token,
            ["Telegram:ApiBaseUrl"] = sandbox.BaseUrl,
            ["Telegram:PublicUrl"] = "",
            ["Telegram:PollingLease"] = lease.ToString(),
            ["Telegram:PollingTimeout"] = "00:00:01",
            ["Telegram:PerChatPerSecond"] = "0",
            ["Telegram:GlobalPerSecond"] = "0",
            ["Bot:RedisKeyPrefix"] = prefix,
            ["Bot:ReorderWindow"] = "00:00:00",
        }, grpc: true);
        replicas.Add(replica);
        return replica;
    }

    async Task<string?> LeaderAsync() => await redis.Connection.GetDatabase().StringGetAsync(prefix + "polling:leader");

    async Task<long> PollsAsync() => (await sandbox.Client.GetCallsAsync(token, Ct)).Of("getUpdates");

    async Task ExpectAnswerAsync(SandboxUser user)
    {
        var sent = await sandbox.Client.SendTextAsync(token, user, "/start", Ct);
        await sandbox.Client.WaitForBotMessageAsync(token, user.Id, afterMessageId: sent.MessageId, timeout: Deadline, ct: Ct);
    }

    [Fact]
    public async Task A_lease_key_left_without_a_ttl_is_given_one_rather_than_taken_as_this_replicas()
    {
        var db = redis.Connection.GetDatabase();
        await db.StringSetAsync(prefix + "polling:leader", "written-by-hand");
        var lease = new Mesh.Bot.Telegram.PollingLease(redis.Connection,
            Microsoft.Extensions.Options.Options.Create(new Mesh.Bot.Telegram.TelegramOptions { PollingLease = Lease }),
            Microsoft.Extensions.Options.Options.Create(new BotOptions { RedisKeyPrefix = prefix }));

        var (taken, retryAfter) = await lease.TryAcquireAsync();

        Assert.False(taken);
        Assert.Equal(Lease, retryAfter);
        Assert.Equal("written-by-hand", (string?)await db.StringGetAsync(prefix + "polling:leader"));
        Assert.InRange((await db.KeyTimeToLiveAsync(prefix + "polling:leader"))!.Value, TimeSpan.FromMilliseconds(1), Lease);
    }

    [Fact]
    public async Task A_webhook_set_while_the_leader_polls_is_deleted_again_and_users_are_answered()
    {
        await StartReplicaAsync(Lease);
        await Until.TrueAsync(async () => await PollsAsync() > 0, Deadline, "the replica to poll");
        // A replica still in webhook mode (a switch to polling under way) puts its webhook back.
        using var http = new HttpClient();
        await new global::Telegram.Bot.TelegramBotClient(new global::Telegram.Bot.TelegramBotClientOptions(token, sandbox.BaseUrl), http)
            .SetWebhook("http://127.0.0.1:9/telegram/webhook", cancellationToken: Ct);

        await ExpectAnswerAsync(SandboxMesh.NewUser());

        Assert.True(await sandbox.Client.GetCallsAsync(token, Ct) is { } calls && calls.Of("deleteWebhook") >= 2);
    }

    [Fact]
    public async Task Only_the_lease_holder_polls_and_the_other_replica_takes_over_within_the_lease_when_it_is_killed()
    {
        var first = await StartReplicaAsync(Lease);
        await Until.TrueAsync(async () => await LeaderAsync() is not null && await PollsAsync() > 0, Deadline, "the first replica to poll");
        var firstLeader = await LeaderAsync();
        var second = await StartReplicaAsync(Lease);

        // A second poller would terminate the first one's long poll (409). Let several polls and renewals pass.
        var polls = await PollsAsync();
        await Until.TrueAsync(async () => await PollsAsync() >= polls + 6, Deadline, "six more polls");
        await ExpectAnswerAsync(new SandboxUser(Random.Shared.Next(1_000_000, 2_000_000), "Ada"));

        Assert.Equal(firstLeader, await LeaderAsync());
        Assert.Equal(0, (await sandbox.Client.GetCallsAsync(token, Ct)).Conflicts);
        Assert.Equal(1, (await sandbox.Client.GetCallsAsync(token, Ct)).Of("deleteWebhook"));

        var killed = Stopwatch.StartNew();
        first.Kill();
        await Until.TrueAsync(async () => await LeaderAsync() is { } leader && leader != firstLeader, Deadline, "another replica to take the lease");
        var takeover = killed.Elapsed;
        polls = await PollsAsync();
        await Until.TrueAsync(async () => await PollsAsync() > polls, Deadline, "the new leader to poll");

        Assert.True(takeover <= Lease + TimeSpan.FromSeconds(1), $"took over after {takeover}, lease {Lease}");
        Assert.False(second.HasExited);
        await ExpectAnswerAsync(new SandboxUser(Random.Shared.Next(2_000_000, 3_000_000), "Grace"));
        Assert.Equal(2, (await sandbox.Client.GetCallsAsync(token, Ct)).Of("deleteWebhook"));
    }

    [Fact]
    public async Task A_stopped_leader_releases_the_lease_so_the_other_replica_takes_over_before_it_expires()
    {
        var lease = TimeSpan.FromSeconds(20);
        var first = await StartReplicaAsync(lease);
        await Until.TrueAsync(async () => await LeaderAsync() is not null && await PollsAsync() > 0, Deadline, "the first replica to poll");
        var firstLeader = await LeaderAsync();
        await StartReplicaAsync(lease);

        var stopped = Stopwatch.StartNew();
        replicas.Remove(first);
        await first.DisposeAsync();
        await Until.TrueAsync(async () => await LeaderAsync() is { } leader && leader != firstLeader, Deadline, "another replica to take the lease");

        Assert.True(stopped.Elapsed < lease / 2, $"took over after {stopped.Elapsed}, lease {lease}");
        await ExpectAnswerAsync(new SandboxUser(Random.Shared.Next(3_000_000, 4_000_000), "Lin"));
        Assert.Equal(0, (await sandbox.Client.GetCallsAsync(token, Ct)).Conflicts);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var replica in replicas)
        {
            await replica.DisposeAsync();
        }
    }
}
