using Mesh.Bot.Features.Start;

namespace Mesh.Bot.Tests.Unit;

public sealed class BotCommandTests
{
    [Theory]
    [InlineData("/start", "start")]
    [InlineData("/start@MeshBot", "start")]
    [InlineData("/START payload", "start")]
    [InlineData("/help\nmore", "help")]
    [InlineData("hello", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void Command_is_read_from_message_text(string? text, string? command) =>
        Assert.Equal(command, BotCommand.Of(text));
}
