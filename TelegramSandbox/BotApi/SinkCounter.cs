namespace Mesh.TelegramSandbox.BotApi;

/// <summary>Counts the messages answered in sink mode (<c>Sandbox:Sink=true</c>).</summary>
public sealed class SinkCounter
{
    private long count;
    private int lastMessageId;

    public long Count => Interlocked.Read(ref count);

    public int Next()
    {
        Interlocked.Increment(ref count);
        return Interlocked.Increment(ref lastMessageId);
    }

    public void Reset() => Interlocked.Exchange(ref count, 0);
}
