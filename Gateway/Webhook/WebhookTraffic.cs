namespace Mesh.Gateway.Webhook;

/// <summary>What the gateway saw of the webhook: <see cref="WebhookTraffic.Read"/>.</summary>
/// <param name="LastUpdateAt">When the last update came in (whatever became of it); null: none since the gateway started.</param>
/// <param name="Refused">Updates answered 503 since the bot service last took one (Telegram delivers them again).</param>
/// <param name="RefusedSince">When the first of those was refused; null when none was.</param>
public readonly record struct WebhookTrafficView(DateTimeOffset? LastUpdateAt, long Refused, DateTimeOffset? RefusedSince);

/// <summary>
/// What the gateway has seen of the webhook, for operators when the bot service cannot say (the gateway holds no bot
/// token and does not ask Telegram): when the last update came in, and how many updates it has answered 503 since the bot
/// service last took one. Written by <see cref="UpdateBatcher"/> once per batch, never per request: a volatile write of a
/// timestamp for each batch; only a batch the bot did not take costs an interlocked add (and, for the first of a run of
/// them, a compare-exchange), and a batch it took after such a run an exchange. No lock, no allocation.
/// </summary>
public sealed class WebhookTraffic(TimeProvider clock)
{
    const long None = 0;

    long lastUpdate = None; // a TimeProvider timestamp
    long refused;
    long refusedSince = None; // a TimeProvider timestamp

    /// <summary>A batch of updates came in (called before it is sent).</summary>
    public void Received() => Volatile.Write(ref lastUpdate, Math.Max(clock.GetTimestamp(), 1));

    /// <summary>The bot service took a batch: a run of refusals, if any, is over.</summary>
    public void Taken()
    {
        if (Volatile.Read(ref refused) != 0)
        {
            Volatile.Write(ref refusedSince, None);
            Interlocked.Exchange(ref refused, 0);
        }
    }

    /// <summary><paramref name="count"/> updates were answered 503 (the bot service or its store unavailable).</summary>
    public void Refused(int count)
    {
        Interlocked.CompareExchange(ref refusedSince, Math.Max(clock.GetTimestamp(), 1), None);
        Interlocked.Add(ref refused, count);
    }

    public WebhookTrafficView Read()
    {
        var now = clock.GetUtcNow();
        var last = Volatile.Read(ref lastUpdate);
        var count = Volatile.Read(ref refused);
        var since = Volatile.Read(ref refusedSince);
        return new WebhookTrafficView(
            last == None ? null : now - clock.GetElapsedTime(last),
            count,
            count == 0 || since == None ? null : now - clock.GetElapsedTime(since));
    }
}
