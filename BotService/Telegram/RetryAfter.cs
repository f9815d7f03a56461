namespace Mesh.Bot.Telegram;

/// <summary>
/// How long to wait after Telegram answered 429: its <c>retry_after</c> (at least a second) plus a margin, because timers
/// run on the kernel's coarse clock and may fire a few milliseconds early, and a call that comes even a little before
/// Telegram's second is up is refused again. The sender and the poller both wait this long.
/// </summary>
public static class RetryAfter
{
    static readonly TimeSpan Margin = TimeSpan.FromMilliseconds(50);

    public static TimeSpan Wait(int? retryAfterSeconds) => TimeSpan.FromSeconds(Math.Max(1, retryAfterSeconds ?? 1)) + Margin;
}
