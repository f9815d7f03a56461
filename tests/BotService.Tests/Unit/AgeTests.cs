using Mesh.Bot.Operations;

namespace Mesh.Bot.Tests.Unit;

/// <summary>The ages operators give <c>conversations clear --older-than</c> (command line, HTTP, gRPC).</summary>
public sealed class AgeTests
{
    [Theory]
    [InlineData("90s", 90)]
    [InlineData("30m", 1800)]
    [InlineData("1.5h", 5400)]
    [InlineData("2d", 172800)]
    [InlineData("01:30:00", 5400)]
    [InlineData("3650d", 315360000)]
    public void Ages_in_range_are_read(string text, double seconds)
    {
        Assert.True(Age.TryParse(text, out var age));
        Assert.Equal(TimeSpan.FromSeconds(seconds), age);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0s")]
    [InlineData("-5m")]
    [InlineData("5w")]           // no such unit
    [InlineData("3651d")]        // over ten years
    [InlineData("20000000d")]    // past what a TimeSpan holds: refused, not thrown
    [InlineData("1e400s")]       // infinity
    [InlineData("NaNs")]
    [InlineData("10675199.00:00:00")]
    public void Ages_out_of_range_or_malformed_are_refused_without_throwing(string text) =>
        Assert.False(Age.TryParse(text, out _));
}
