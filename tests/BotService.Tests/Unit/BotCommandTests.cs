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

    [Theory]
    [InlineData("/start@MeshBot", "MeshBot")]
    [InlineData("/start@MeshBot payload", "MeshBot")]
    [InlineData("/help@Other_bot\nmore", "Other_bot")]
    [InlineData("/start", "")]
    [InlineData("/start payload@MeshBot", "")]
    [InlineData("/start@", "")]
    [InlineData("ada@example.org", "")]
    [InlineData("", "")]
    [InlineData(null, "")]
    public void Bot_a_command_is_addressed_to_is_read_from_message_text(string? text, string addressee) =>
        Assert.Equal(addressee, BotCommand.AddresseeOf(text).ToString());

    [Theory]
    [InlineData("/start profile", "profile")]
    [InlineData("/start@MeshBot  profile ", "profile")]
    [InlineData("/start\nprofile", "profile")]
    [InlineData("/start", "")]
    [InlineData("/start@MeshBot", "")]
    [InlineData("profile", "")]
    [InlineData(null, "")]
    public void Start_parameter_is_what_follows_the_command(string? text, string payload) =>
        Assert.Equal(payload, BotCommand.PayloadOf(text).ToString());
}
