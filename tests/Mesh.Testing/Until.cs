using Xunit;

namespace Mesh.Testing;

/// <summary>Waits for a condition with a deadline (never a fixed sleep), failing with what was awaited.</summary>
public static class Until
{
    static readonly TimeSpan DefaultDeadline = TimeSpan.FromSeconds(10);

    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan deadline, string what)
    {
        var until = DateTime.UtcNow + deadline;
        while (!await condition())
        {
            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"Timed out after {deadline} waiting for {what}");
            }
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    public static Task TrueAsync(Func<bool> condition, TimeSpan deadline, string what) =>
        TrueAsync(() => Task.FromResult(condition()), deadline, what);

    public static Task TrueAsync(Func<bool> condition, string what) => TrueAsync(condition, DefaultDeadline, what);

    public static Task TrueAsync(Func<Task<bool>> condition, string what) => TrueAsync(condition, DefaultDeadline, what);
}
