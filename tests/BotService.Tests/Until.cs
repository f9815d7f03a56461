namespace Mesh.Bot.Tests;

/// <summary>Waits for a condition with a deadline (never a fixed sleep), failing with what was awaited.</summary>
static class Until
{
    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan deadline, string what)
    {
        var until = DateTime.UtcNow + deadline;
        while (!await condition())
        {
            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"Timed out after {deadline} waiting for {what}");
            }
            await Task.Delay(50);
        }
    }

    public static Task TrueAsync(Func<bool> condition, TimeSpan deadline, string what) =>
        TrueAsync(() => Task.FromResult(condition()), deadline, what);
}
