using Microsoft.Extensions.Hosting;

namespace Mesh.ServiceDefaults.Tests;

// The variables are process-wide: the tests of this class run one after another (xunit runs a class's tests in turn) and
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

    [Fact]
    public void A_service_runs_one_socket_engine_thread_per_two_cores_unless_an_operator_chose()
    {
        WithVariable(null, () =>
        {
            InlineSocketCompletions.EnableUnlessSet();

            Assert.Equal($"{Math.Max(1, Environment.ProcessorCount / 2)}", Environment.GetEnvironmentVariable(InlineSocketCompletions.EngineThreadsVariable));
        });
        WithVariable(null, () =>
        {
            InlineSocketCompletions.EnableUnlessSet();

            Assert.Equal("3", Environment.GetEnvironmentVariable(InlineSocketCompletions.EngineThreadsVariable));
        }, engineThreads: "3");
        Assert.Equal([1, 1, 1, 2, 4], new[] { 0, 1, 2, 4, 8 }.Select(InlineSocketCompletions.EngineThreads));
    }

    static void WithVariable(string? value, Action test, string? engineThreads = null)
    {
        var before = Environment.GetEnvironmentVariable(InlineSocketCompletions.Variable);
        var threadsBefore = Environment.GetEnvironmentVariable(InlineSocketCompletions.EngineThreadsVariable);
        Environment.SetEnvironmentVariable(InlineSocketCompletions.Variable, value);
        Environment.SetEnvironmentVariable(InlineSocketCompletions.EngineThreadsVariable, engineThreads);
        try
        {
            test();
        }
        finally
        {
            Environment.SetEnvironmentVariable(InlineSocketCompletions.Variable, before);
            Environment.SetEnvironmentVariable(InlineSocketCompletions.EngineThreadsVariable, threadsBefore);
        }
    }
}
