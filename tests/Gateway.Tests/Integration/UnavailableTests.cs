using System.Net;
using System.Text;
using Mesh.Testing;
using Mesh.Testing.Services;

namespace Mesh.Gateway.Tests.Integration;

public sealed class UnavailableTests
{
    static async Task<HttpStatusCode> PostAsync(ServiceHost gateway, long updateId)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Post, gateway.HttpUrl + "/telegram/webhook")
        {
            Content = new StringContent(UpdatePathHost.TextUpdate(updateId, 5, "/start"), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Telegram-Bot-Api-Secret-Token", UpdatePathHost.Secret);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task Bot_service_down_means_503_and_not_ready()
    {
        var (port, hold) = ServerProcess.ClosedPort();
        using var _ = hold;
        var nowhere = $"http://127.0.0.1:{port}";
        await using var gateway = await ServiceHost.StartAsync("Gateway", new Dictionary<string, string?>
        {
            ["Telegram:WebhookSecret"] = UpdatePathHost.Secret,
            ["services:bot:grpc:0"] = nowhere,
            ["services:bot:http:0"] = nowhere,
        });

        Assert.Equal(HttpStatusCode.ServiceUnavailable, await PostAsync(gateway, 1));
        using var http = new HttpClient();
        using var health = await http.GetAsync(gateway.HttpUrl + "/health", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
    }

    [Fact]
    public async Task Bot_redis_down_means_503_then_200_when_it_is_back()
    {
        await using var ownRedis = new RedisServerFixture();
        await ownRedis.InitializeAsync();
        await using var mesh = await UpdatePathHost.StartAsync(ownRedis.ConnectionString, RedisServerFixture.NewKeyPrefix("redisdown"),
            new Dictionary<string, string?> { ["ConnectionStrings:redis"] = ownRedis.ConnectionString + ",connectTimeout=500,syncTimeout=1000,asyncTimeout=1000" });

        await ownRedis.StopAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await PostAsync(mesh.Gateway, 2));

        await ownRedis.StartAgainAsync();
        var until = DateTime.UtcNow.AddSeconds(20);
        var status = HttpStatusCode.ServiceUnavailable;
        while (status != HttpStatusCode.OK && DateTime.UtcNow < until)
        {
            status = await PostAsync(mesh.Gateway, 2);
        }
        Assert.Equal(HttpStatusCode.OK, status);
    }
}
