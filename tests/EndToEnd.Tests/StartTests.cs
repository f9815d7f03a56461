using Mesh.TelegramSandbox.Client;
using Mesh.Testing.EndToEnd;

namespace Mesh.EndToEnd.Tests;

[Collection(MeshCollection.Name)]
public sealed class StartTests(MeshFixture mesh)
{
    [Fact]
    public async Task Start_typed_in_the_sandbox_reaches_the_bot_through_the_gateway_and_the_menu_appears()
    {
        var user = new SandboxUser(Random.Shared.NextInt64(100_000, 900_000_000), "Olena", LanguageCode: "en");

        await mesh.Sandbox.SendTextAsync(mesh.BotToken, user, "/start", TestContext.Current.CancellationToken);
        var reply = await mesh.Sandbox.WaitForBotMessageAsync(mesh.BotToken, user.Id, timeout: TimeSpan.FromSeconds(30),
            ct: TestContext.Current.CancellationToken);

        Assert.Contains("Olena", reply.Text);
        Assert.NotNull(reply.InlineKeyboard);
        Assert.NotEmpty(reply.InlineKeyboard.SelectMany(row => row));
    }
}
