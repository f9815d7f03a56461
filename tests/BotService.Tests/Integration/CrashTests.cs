using System.Net;
using Mesh.Testing;
using Mesh.Testing.Services;

namespace Mesh.Bot.Tests.Integration;

public sealed class CrashTests(RedisServerFixture redis)
{
    [Fact]
    public async Task Update_of_a_killed_bot_is_handled_once_by_another_replica()
    {
        await using var mesh = await UpdatePathHost.StartAsync(redis.ConnectionString, RedisServerFixture.NewKeyPrefix("crash"));
        const long chat = 777001;
        mesh.Telegram.Hang(chat); // the first bot accepts and starts handling, then hangs in sendMessage

        Assert.Equal(HttpStatusCode.OK, await mesh.PostUpdateAsync(UpdatePathHost.TextUpdate(5001, chat, "/start")));
        await BotApiStandIn.WaitForAsync(() => mesh.Telegram.Attempts.Any(a => a.ChatId == chat), TimeSpan.FromSeconds(20), "the first bot to be mid-handling");
        mesh.Bots[0].Kill();
        mesh.Telegram.StopHanging(chat);

        await mesh.StartBotAsync(); // takes the chat over when the dead bot's 2 s lease expires

        await BotApiStandIn.WaitForAsync(() => mesh.Telegram.SentTo(chat).Any(), TimeSpan.FromSeconds(20), "the reply from the second bot");
        var db = redis.Connection.GetDatabase();
        await BotApiStandIn.WaitForAsync(() => !db.KeyExists(mesh.KeyPrefix + "q:" + chat), TimeSpan.FromSeconds(10), "the chat's queue to drain");
        Assert.Single(mesh.Telegram.SentTo(chat));
        Assert.Equal(0, (long)await db.StringGetAsync(mesh.KeyPrefix + "depth"));
    }
}
