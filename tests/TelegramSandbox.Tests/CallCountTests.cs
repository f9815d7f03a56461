using Mesh.Testing.Sandbox;
using Telegram.Bot;
using Telegram.Bot.Exceptions;

namespace Mesh.TelegramSandbox.Tests;

public sealed class CallCountTests(SandboxHost sandbox) : SandboxTest(sandbox)
{
    [Fact]
    public async Task Calls_are_counted_per_bot_and_method_with_conflicts()
    {
        await Bot.SetWebhook("http://127.0.0.1:9/hook", cancellationToken: Ct);
        await Bot.GetWebhookInfo(Ct);
        await Bot.GetWebhookInfo(Ct);
        await Assert.ThrowsAsync<ApiRequestException>(() => Bot.GetUpdates(cancellationToken: Ct));
        await NewBot(Sandbox, SandboxHost.NewBotToken()).GetWebhookInfo(Ct);

        var calls = await Client.GetCallsAsync(Token, Ct);

        Assert.Equal(1, calls.Of("setWebhook"));
        Assert.Equal(2, calls.Of("getWebhookInfo"));
        Assert.Equal(1, calls.Of("getUpdates"));
        Assert.Equal(0, calls.Of("deleteWebhook"));
        Assert.Equal(1, calls.Conflicts);
    }
}
