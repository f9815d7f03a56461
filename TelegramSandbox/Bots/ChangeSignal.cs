namespace Mesh.TelegramSandbox.Bots;

/// <summary>A version counter that waiters can await: long polls wake when it moves.</summary>
public sealed class ChangeSignal
{
    private readonly Lock sync = new();
    private TaskCompletionSource changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long version;

    public long Version
    {
        get { lock (sync) return version; }
    }

    public void Pulse()
    {
        TaskCompletionSource old;
        lock (sync)
        {
            version++;
            old = changed;
            changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        old.TrySetResult();
    }

    /// <summary>Waits until the version differs from <paramref name="seen"/> or the timeout passes; returns the version.</summary>
    public async Task<long> WaitAsync(long seen, TimeSpan timeout, CancellationToken ct)
    {
        Task task;
        lock (sync)
        {
            if (version != seen) return version;
            task = changed.Task;
        }
        if (timeout > TimeSpan.Zero)
        {
            try
            {
                await task.WaitAsync(timeout, ct);
            }
            catch (TimeoutException)
            {
            }
        }
        return Version;
    }
}
