using Mesh.Testing;
using Mesh.Testing.Sandbox;
using Mesh.TelegramSandbox.Bots;
using Microsoft.Extensions.DependencyInjection;
using Telegram.Bot;
using Telegram.Bot.Exceptions;

namespace Mesh.TelegramSandbox.Tests;

public sealed class PollingTests(SandboxHost sandbox) : SandboxTest(sandbox)
{
    [Fact]
    public async Task Offset_confirms_updates_and_limit_caps_the_batch()
    {
        for (var i = 1; i <= 3; i++) await Client.SendTextAsync(Token, Alice, $"m{i}", Ct);

        var first = await Bot.GetUpdates(limit: 2, cancellationToken: Ct);
        var again = await Bot.GetUpdates(cancellationToken: Ct);
        var rest = await Bot.GetUpdates(offset: first[^1].Id + 1, cancellationToken: Ct);
        var none = await Bot.GetUpdates(offset: rest[^1].Id + 1, cancellationToken: Ct);

        Assert.Equal(["m1", "m2"], first.Select(u => u.Message!.Text));
        Assert.Equal(3, again.Length);
        Assert.Equal("m3", Assert.Single(rest).Message!.Text);
        Assert.Empty(none);
        Assert.True(first[1].Id == first[0].Id + 1);
    }

    [Fact]
    public async Task Long_poll_returns_as_soon_as_an_update_arrives()
    {
        await Bot.GetMe(Ct);
        var poll = Bot.GetUpdates(timeout: 20, cancellationToken: Ct);
        await Until.TrueAsync(() => ActivePoll() is not null, "a long poll waiting");

        await Client.SendTextAsync(Token, Alice, "wake up", Ct);
        var updates = await poll.WaitAsync(TimeSpan.FromSeconds(5), Ct);

        Assert.Equal("wake up", Assert.Single(updates).Message!.Text);
    }

    [Fact]
    public async Task Second_poller_terminates_the_waiting_one_with_409_conflict()
    {
        await Bot.GetMe(Ct);
        var first = Bot.GetUpdates(timeout: 20, cancellationToken: Ct);
        await Until.TrueAsync(() => ActivePoll() is not null, "a long poll waiting");

        var second = NewBot(Sandbox, Token).GetUpdates(timeout: 1, cancellationToken: Ct);
        var conflict = await Assert.ThrowsAsync<ApiRequestException>(() => first);

        Assert.Equal(409, conflict.ErrorCode);
        Assert.Equal("Conflict: terminated by other getUpdates request; make sure that only one bot instance is running", conflict.Message);
        Assert.Empty(await second);
    }

    [Fact]
    public async Task GetUpdates_while_a_webhook_is_set_gets_409_conflict()
    {
        await Bot.SetWebhook("http://127.0.0.1:9/hook", cancellationToken: Ct);

        var conflict = await Assert.ThrowsAsync<ApiRequestException>(() => Bot.GetUpdates(cancellationToken: Ct));

        Assert.Equal(409, conflict.ErrorCode);
        Assert.Equal("Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first", conflict.Message);
    }

    private CancellationTokenSource? ActivePoll()
    {
        var bot = Sandbox.Services.GetRequiredService<BotRegistry>().Find(long.Parse(Token.Split(':')[0]))!;
        lock (bot.Sync) return bot.ActivePoll;
    }
}
