using System.Net;
using System.Text;
using Mesh.Testing;
using Mesh.Testing.Services;

namespace Mesh.Gateway.Tests.Integration;

/// <summary>The gateway as a process in front of a real BotService process and Redis.</summary>
public sealed class WebhookTests(RedisServerFixture redis) : IAsyncLifetime
{
    UpdatePathHost mesh = null!;

    public async ValueTask InitializeAsync() =>
        mesh = await UpdatePathHost.StartAsync(redis.ConnectionString, RedisServerFixture.NewKeyPrefix("webhook"));

    public async ValueTask DisposeAsync() => await mesh.DisposeAsync();

    async Task AssertNothingQueuedAsync()
    {
        var db = redis.Connection.GetDatabase();
        Assert.False(await db.KeyExistsAsync(mesh.KeyPrefix + "depth"));
        Assert.False(await db.KeyExistsAsync(mesh.KeyPrefix + "chats"));
    }

    [Fact]
    public async Task Bad_requests_get_their_status_and_queue_nothing()
    {
        var update = UpdatePathHost.TextUpdate(1, 10, "/start");

        Assert.Equal(HttpStatusCode.Unauthorized, await mesh.PostUpdateAsync(update, secret: null));
        Assert.Equal(HttpStatusCode.Unauthorized, await mesh.PostUpdateAsync(update, secret: "wrong"));
        Assert.Equal(HttpStatusCode.Unauthorized, await mesh.PostUpdateAsync(update, secret: UpdatePathHost.Secret + "x"));
        Assert.Equal(HttpStatusCode.BadRequest, await mesh.PostUpdateAsync("""{"update_id":1,"message":"""));
        Assert.Equal(HttpStatusCode.BadRequest, await mesh.PostUpdateAsync("""{"message":{"chat":{"id":10}}}"""));

        var big = new string('x', 2 * 1024 * 1024);
        var withLength = new ByteArrayContent(Encoding.UTF8.GetBytes($$"""{"update_id":2,"pad":"{{big}}"}"""));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, await mesh.PostAsync(withLength));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, await mesh.PostAsync(new ChunkedContent(big)));

        await AssertNothingQueuedAsync();
    }

    [Fact]
    public async Task Valid_update_is_acknowledged_once_queued()
    {
        Assert.Equal(HttpStatusCode.OK, await mesh.PostUpdateAsync(UpdatePathHost.TextUpdate(50, 11, "/start")));
        Assert.True(await redis.IsUpdateSeenAsync(mesh.KeyPrefix, 50));
        Assert.False(await redis.IsUpdateSeenAsync(mesh.KeyPrefix, 51));
    }

    /// <summary>The gateway faces the internet: its answers do not name the server software (no <c>Server</c> header).</summary>
    [Fact]
    public async Task Answers_do_not_name_the_server_software()
    {
        using var accepted = await mesh.SendAsync(new StringContent(UpdatePathHost.TextUpdate(60, 12, "/start"), Encoding.UTF8, "application/json"));
        using var refused = await mesh.SendAsync(new StringContent("{}"), secret: null);

        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Empty(accepted.Headers.Server);
        Assert.Empty(refused.Headers.Server);
        Assert.False(accepted.Headers.Contains("Server"));
    }

    [Fact]
    public async Task Gateway_is_ready_when_the_bot_is()
    {
        await mesh.Gateway.WaitUntilAsync("/health", TimeSpan.FromSeconds(10));
    }

    /// <summary>A body sent with Transfer-Encoding: chunked (no Content-Length).</summary>
    sealed class ChunkedContent(string pad) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes("{\"update_id\":4,\"pad\":\""));
            var chunk = Encoding.UTF8.GetBytes(pad[..65536]);
            for (var written = 0; written < pad.Length; written += chunk.Length)
            {
                await stream.WriteAsync(chunk);
            }
            await stream.WriteAsync("\"}"u8.ToArray());
        }

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }
}
