using Microsoft.Extensions.Hosting;

namespace Mesh.ServiceDefaults.Tests;

// The variable is process-wide: the tests of this class run one after another (xunit runs a class's tests in turn) and
// put back what they found. The socket engine of this test process read it long before, so nothing else changes.
public sealed class InlineSocketCompletionsTests
{
    [Fact]
    public void A_service_turns_them_on_when_nobody_set_the_variable()
    {
        WithVariable(null, () =>
        {
            InlineSocketCompletions.EnableUnlessSet();

            Assert.Equal("1", Environment.GetEnvironmentVariable(InlineSocketCompletions.Variable));
            Assert.True(InlineSocketCompletions.Enabled);
        });
    }

    [Fact]
    public void An_operators_zero_keeps_them_off_and_with_them_the_gateways_inline_scheduling()
    {
        WithVariable("0", () =>
        {
            InlineSocketCompletions.EnableUnlessSet();

            Assert.Equal("0", Environment.GetEnvironmentVariable(InlineSocketCompletions.Variable));
            Assert.False(InlineSocketCompletions.Enabled);
        });
    }

    static void WithVariable(string? value, Action test)
    {
        var before = Environment.GetEnvironmentVariable(InlineSocketCompletions.Variable);
        Environment.SetEnvironmentVariable(InlineSocketCompletions.Variable, value);
        try
        {
            test();
        }
        finally
        {
            Environment.SetEnvironmentVariable(InlineSocketCompletions.Variable, before);
        }
    }
}
