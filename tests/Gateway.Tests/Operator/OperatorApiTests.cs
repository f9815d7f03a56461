using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Mesh.Testing;
using Mesh.Testing.Sandbox;
using Mesh.Testing.Services;

namespace Mesh.Gateway.Tests.Operator;

/// <summary>
/// The operator API on real processes: the sandbox as Telegram, a BotService in webhook mode, and gateways with
/// operator tokens. One bot for the class; the rate-limit test has a gateway of its own with a low limit.
/// </summary>
public sealed class OperatorApiTests(RedisServerFixture redis) : IAsyncLifetime
{
    const string Token = "operator-token-for-tests-0123456789";
    const string Status = "/api/telegram/status";
    const string WebhookUrl = "http://127.0.0.1:9/telegram/webhook";

    readonly SandboxProcess sandbox = new();
    readonly List<ServiceHost> hosts = [];
    readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(30) };
    ServiceHost bot = null!;

    static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await sandbox.InitializeAsync();
        bot = await StartBotAsync(redis.ConnectionString);
        // The bot sets its webhook in the background; the status reads it back from the sandbox.
        await Until.TrueAsync(async () => (await sandbox.Client.GetBotsAsync(Ct)).Any(b => b.WebhookUrl == WebhookUrl),
            TimeSpan.FromSeconds(30), "the bot to set its webhook in the sandbox");
    }

    /// <summary>A bot in webhook mode on <paramref name="redisConnection"/>, with the sandbox as Telegram.</summary>
    Task<ServiceHost> StartBotAsync(string redisConnection) => StartAsync("BotService", new Dictionary<string, string?>
    {
        ["ConnectionStrings:redis"] = redisConnection,
        ["Telegram:BotToken"] = SandboxHost.NewBotToken(),
        ["Telegram:ApiBaseUrl"] = sandbox.BaseUrl,
        ["Telegram:PublicUrl"] = "http://127.0.0.1:9",
        ["Telegram:WebhookSecret"] = "operator-tests-secret",
        ["Bot:RedisKeyPrefix"] = RedisServerFixture.NewKeyPrefix("operator"),
    }, grpc: true);

    async Task<ServiceHost> StartAsync(string project, Dictionary<string, string?> settings, bool grpc = false)
    {
        var host = await ServiceHost.StartAsync(project, settings, grpc);
        hosts.Add(host);
        return host;
    }

    Task<ServiceHost> StartGatewayAsync(int rateLimit) => StartAsync("Gateway", new Dictionary<string, string?>
    {
        ["Telegram:WebhookSecret"] = "operator-tests-secret",
        ["services:bot:grpc:0"] = bot.GrpcUrl,
        ["services:bot:http:0"] = bot.HttpUrl,
        ["Gateway:OperatorTokens:0"] = "another-operator-token-abcdefgh",
        ["Gateway:OperatorTokens:1"] = Token,
        ["Gateway:OperatorRateLimit"] = rateLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Gateway:OperatorRateWindow"] = "00:05:00",
    });

    async Task<HttpResponseMessage> GetStatusAsync(ServiceHost gateway, string? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, gateway.HttpUrl + Status);
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }
        return await http.SendAsync(request, Ct);
    }

    [Fact]
    public async Task Status_needs_an_operator_token_401_without_or_malformed_403_when_wrong_200_with_the_fields_when_right()
    {
        var gateway = await StartGatewayAsync(rateLimit: 1000);

        using var without = await GetStatusAsync(gateway, null);
        using var malformed = await GetStatusAsync(gateway, "Token " + Token);
        using var wrong = await GetStatusAsync(gateway, "Bearer not-the-operator-token-000000");
        using var right = await GetStatusAsync(gateway, "Bearer " + Token);

        Assert.Equal(HttpStatusCode.Unauthorized, without.StatusCode);
        Assert.Contains(without.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
        Assert.Equal(HttpStatusCode.Unauthorized, malformed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        var status = JsonNode.Parse(await right.Content.ReadAsStringAsync(Ct))!.AsObject();
        Assert.Equal("webhook", (string?)status["mode"]);
        Assert.Equal(WebhookUrl, (string?)status["webhook_url"]);
        foreach (var field in new[] { "pending_update_count", "last_error_date", "last_error_message", "queue_depth",
            "oldest_queued_update_age_seconds", "leases_held", "polling_leader", "dead_lettered" })
        {
            Assert.True(status.ContainsKey(field), field);
        }
        Assert.DoesNotContain("operator-tests-secret", status.ToJsonString());
        Assert.DoesNotContain(Token, gateway.Output);
    }

    [Fact]
    public async Task Too_many_requests_get_429_whether_or_not_they_carry_a_token()
    {
        var gateway = await StartGatewayAsync(rateLimit: 3);

        var statuses = new List<HttpStatusCode>();
        var retryAfter = new List<TimeSpan?>();
        foreach (var authorization in new[] { "Bearer " + Token, null, "Bearer wrong-operator-token-000000", "Bearer " + Token, null })
        {
            using var response = await GetStatusAsync(gateway, authorization);
            statuses.Add(response.StatusCode);
            retryAfter.Add(response.Headers.RetryAfter?.Delta);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
        // The refusals say when the 5-minute window ends.
        Assert.All(retryAfter[3..], wait => Assert.InRange(wait!.Value, TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(5)));
        Assert.All(retryAfter[..3], wait => Assert.Null(wait));
    }

    [Fact]
    public async Task Status_with_the_bot_s_redis_down_says_what_the_bot_said_not_that_it_did_not_answer()
    {
        await using var ownRedis = new RedisServerFixture();
        await ownRedis.InitializeAsync();
        var ownBot = await StartBotAsync(ownRedis.ConnectionString + ",connectTimeout=500,syncTimeout=1000,asyncTimeout=1000");
        var gateway = await StartAsync("Gateway", new Dictionary<string, string?>
        {
            ["Telegram:WebhookSecret"] = "operator-tests-secret",
            ["services:bot:grpc:0"] = ownBot.GrpcUrl,
            ["services:bot:http:0"] = ownBot.HttpUrl,
            ["Gateway:OperatorTokens:0"] = Token,
        });
        using (var up = await GetStatusAsync(gateway, "Bearer " + Token))
        {
            Assert.Equal(HttpStatusCode.OK, up.StatusCode);
        }

        await ownRedis.StopAsync();
        using var down = await GetStatusAsync(gateway, "Bearer " + Token);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        var problem = JsonNode.Parse(await down.Content.ReadAsStringAsync(Ct))!.AsObject();
        Assert.Equal("The bot service could not read its status.", (string?)problem["title"]);
        Assert.StartsWith("The bot's store is unavailable; try again. No update has come in through the webhook since the gateway started.",
            (string?)problem["detail"]);
    }

    [Fact]
    public async Task Status_with_the_bot_down_gives_when_the_last_update_came_in_and_how_many_were_refused_since()
    {
        var ownBot = await StartBotAsync(redis.ConnectionString);
        var gateway = await StartAsync("Gateway", new Dictionary<string, string?>
        {
            ["Telegram:WebhookSecret"] = "operator-tests-secret",
            ["services:bot:grpc:0"] = ownBot.GrpcUrl,
            ["services:bot:http:0"] = ownBot.HttpUrl,
            ["Gateway:OperatorTokens:0"] = Token,
        });
        var updateId = Random.Shared.NextInt64(1_000_000, 9_000_000);
        Assert.Equal(HttpStatusCode.OK, await PostUpdateAsync(gateway, updateId));

        await ownBot.StopAsync(TimeSpan.FromSeconds(20));
        var refusedFrom = DateTimeOffset.UtcNow;
        foreach (var id in new[] { updateId + 1, updateId + 2, updateId + 1 }) // Telegram delivering updateId + 1 again
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, await PostUpdateAsync(gateway, id));
        }
        var lastPosted = DateTimeOffset.UtcNow;
        using var down = await GetStatusAsync(gateway, "Bearer " + Token);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        Assert.Equal("application/problem+json", down.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await down.Content.ReadAsStringAsync(Ct))!.AsObject();
        Assert.Equal("The bot service did not answer.", (string?)problem["title"]);
        Assert.Equal(3, (long)problem["refused_deliveries"]!);
        Assert.Equal((updateId + 1, updateId + 2), ((long)problem["refused_update_ids"]!["lowest"]!, (long)problem["refused_update_ids"]!["highest"]!));
        var last = DateTimeOffset.Parse((string)problem["last_update_at"]!, System.Globalization.CultureInfo.InvariantCulture);
        var since = DateTimeOffset.Parse((string)problem["refused_since"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(since, refusedFrom.AddSeconds(-1), last);
        Assert.InRange(last, since, lastPosted.AddSeconds(1));
        Assert.Contains($"the gateway has answered 503 to 3 webhook deliveries of updates {updateId + 1} to {updateId + 2} (at most 2 updates waiting: "
            + "Telegram delivers a refused update again, and keeps undelivered updates for 24 hours). (This gateway's figures, since it started at ",
            (string?)problem["detail"]);
        Assert.NotNull(problem["counting_since"]);
    }

    /// <summary>An update through the gateway's webhook: an edit of a message outside any dialog, which the bot answers with nothing.</summary>
    async Task<HttpStatusCode> PostUpdateAsync(ServiceHost gateway, long updateId)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var json = $$$"""
            {"update_id":{{{updateId}}},"edited_message":{"message_id":1,"date":{{{now - 60}}},"edit_date":{{{now}}},"chat":{"id":{{{updateId}}},"type":"private"},"from":{"id":{{{updateId}}},"is_bot":false,"first_name":"Ada"},"text":"hi"}}
            """;
        using var request = new HttpRequestMessage(HttpMethod.Post, gateway.HttpUrl + "/telegram/webhook")
        {
            Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Telegram-Bot-Api-Secret-Token", "operator-tests-secret");
        using var response = await http.SendAsync(request, Ct);
        return response.StatusCode;
    }

    public async ValueTask DisposeAsync()
    {
        http.Dispose();
        foreach (var host in Enumerable.Reverse(hosts))
        {
            await host.DisposeAsync();
        }
        await sandbox.DisposeAsync();
    }
}
