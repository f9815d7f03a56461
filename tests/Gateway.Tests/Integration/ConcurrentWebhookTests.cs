using System.Net;
using System.Text;
using Mesh.Testing;
using Mesh.Testing.Services;

namespace Mesh.Gateway.Tests.Integration;

/// <summary>
/// Many webhook deliveries at once, as Telegram makes them (up to max_connections = 40), on real processes: the gateway
/// batches them to the bot, and every delivery still gets its own answer. The bot handles nothing here (a reorder window
/// of an hour), so what was queued stays queued, to be counted.
/// </summary>
public sealed class ConcurrentWebhookTests(RedisServerFixture redis) : IAsyncLifetime
{
    const int Connections = 40;

    UpdatePathHost mesh = null!;

    static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() =>
        mesh = await UpdatePathHost.StartAsync(redis.ConnectionString, RedisServerFixture.NewKeyPrefix("concurrent"),
            new Dictionary<string, string?> { ["Bot:ReorderWindow"] = "01:00:00" });

    public async ValueTask DisposeAsync() => await mesh.DisposeAsync();

    /// <summary>Posts every update, <see cref="Connections"/> at a time over as many connections; the statuses in the same order.</summary>
    async Task<HttpStatusCode[]> PostAllAsync(IEnumerable<(long UpdateId, long Chat)> updates)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Connections }) { Timeout = TimeSpan.FromSeconds(30) };
        using var connections = new SemaphoreSlim(Connections);
        return await Task.WhenAll(updates.Select(async update =>
        {
            await connections.WaitAsync(Ct);
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, mesh.WebhookUrl)
                {
                    Content = new StringContent(UpdatePathHost.TextUpdate(update.UpdateId, update.Chat, "/start"), Encoding.UTF8, "application/json"),
                };
                request.Headers.Add("X-Telegram-Bot-Api-Secret-Token", UpdatePathHost.Secret);
                using var response = await http.SendAsync(request, Ct);
                return response.StatusCode;
            }
            finally
            {
                connections.Release();
            }
        }));
    }

    [Fact]
    public async Task Two_hundred_deliveries_over_forty_connections_are_all_acknowledged_and_each_update_queued_once_in_order()
    {
        // 200 updates of 10 chats, 40 of them delivered twice (Telegram re-delivers what it thinks unanswered).
        var updates = Enumerable.Range(1, 200).Select(i => (UpdateId: (long)i, Chat: 1000L + i % 10)).ToList();
        var deliveries = updates.Concat(updates.Where(u => u.UpdateId % 5 == 0)).OrderBy(_ => Random.Shared.Next()).ToList();

        var statuses = await PostAllAsync(deliveries);

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        var db = redis.Connection.GetDatabase();
        Assert.Equal(updates.Count, (long)await db.StringGetAsync(mesh.KeyPrefix + "depth"));
        foreach (var chat in updates.GroupBy(u => u.Chat))
        {
            var queued = await db.SortedSetRangeByRankAsync(mesh.KeyPrefix + "q:" + chat.Key);
            var ids = queued.Select(e => long.Parse(e.ToString().Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(chat.Select(u => u.UpdateId).Order(), ids);
        }
    }

    [Fact]
    public async Task Bot_service_gone_means_503_for_every_delivery()
    {
        mesh.Bots[0].Kill();

        var statuses = await PostAllAsync(Enumerable.Range(1, 80).Select(i => ((long)i, 7L)));

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.ServiceUnavailable, s));
    }
}
