namespace Mesh.TelegramSandbox.Control;

/// <summary>Makes every Bot API call fail with one status for a while, so tests can see a bot survive an outage.</summary>
public sealed class FaultSwitch(TimeProvider clock)
{
    private readonly Lock sync = new();
    private ActiveFault? fault;

    public void Set(int statusCode, TimeSpan duration, int retryAfter)
    {
        lock (sync) fault = new ActiveFault(statusCode, clock.GetUtcNow() + duration, Math.Max(1, retryAfter));
    }

    public void Clear()
    {
        lock (sync) fault = null;
    }

    public ActiveFault? Current
    {
        get
        {
            lock (sync)
            {
                if (fault is not null && fault.Until <= clock.GetUtcNow()) fault = null;
                return fault;
            }
        }
    }
}

public sealed record ActiveFault(int StatusCode, DateTimeOffset Until, int RetryAfter);
