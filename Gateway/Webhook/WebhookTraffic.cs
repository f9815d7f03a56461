namespace Mesh.Gateway.Webhook;

/// <summary>What the gateway saw of the webhook: <see cref="WebhookTraffic.Read"/>.</summary>
/// <param name="LastUpdateAt">When the last update came in (whatever became of it); null: none since the gateway started.</param>
/// <param name="Refused">Webhook deliveries answered 503 since the bot service last took one. Telegram delivers a refused
/// update again, so one update waiting may be counted several times: <paramref name="RefusedUpdateIds"/> says how many
/// there can be.</param>
/// <param name="RefusedSince">When the first of those was refused; null when none was.</param>
/// <param name="RefusedUpdateIds">The lowest and highest update_id of those deliveries; null when none was refused.</param>
/// <param name="CountingSince">When this gateway started: the figures are this instance's, from then on.</param>
public readonly record struct WebhookTrafficView(DateTimeOffset? LastUpdateAt, long Refused, DateTimeOffset? RefusedSince,
    (long Lowest, long Highest)? RefusedUpdateIds, DateTimeOffset CountingSince);

/// <summary>
/// What the gateway has seen of the webhook, for operators when the bot service cannot say (the gateway holds no bot
/// token and does not ask Telegram): when the last update came in, and what it has answered 503 since the bot service
/// last took a batch. Written by <see cref="UpdateBatcher"/> once per batch, never per request. A batch taken costs a
/// volatile write of a timestamp and a volatile read (the update path); only a refused batch, and the first batch taken
/// after a run of them, take a lock, so that the count, its start and its update ids always belong to one run.
/// </summary>
public sealed class WebhookTraffic(TimeProvider clock)
{
    const long None = 0;

    readonly DateTimeOffset started = clock.GetUtcNow();
    readonly Lock sync = new();
    long lastUpdate = None; // a TimeProvider timestamp
    long refused; // written under the lock; read without it on the update path
    long refusedSince = None; // a TimeProvider timestamp
    long lowestRefused = long.MaxValue, highestRefused = long.MinValue;

    /// <summary>A batch of updates came in (called before it is sent).</summary>
    public void Received() => Volatile.Write(ref lastUpdate, Math.Max(clock.GetTimestamp(), 1));

    /// <summary>The bot service took a batch: a run of refusals, if any, is over.</summary>
    public void Taken()
    {
        if (Volatile.Read(ref refused) == 0)
        {
            return;
        }
        lock (sync)
        {
            Volatile.Write(ref refused, 0);
            refusedSince = None;
            (lowestRefused, highestRefused) = (long.MaxValue, long.MinValue);
        }
    }

    /// <summary>
    /// <paramref name="count"/> deliveries were answered 503 (the bot service or its store unavailable), of updates
    /// <paramref name="lowestUpdateId"/> to <paramref name="highestUpdateId"/>.
    /// </summary>
    public void Refused(int count, long lowestUpdateId, long highestUpdateId)
    {
        lock (sync)
        {
            if (refused == 0)
            {
                refusedSince = Math.Max(clock.GetTimestamp(), 1);
            }
            Volatile.Write(ref refused, refused + count);
            lowestRefused = Math.Min(lowestRefused, lowestUpdateId);
            highestRefused = Math.Max(highestRefused, highestUpdateId);
        }
    }

    public WebhookTrafficView Read()
    {
        var now = clock.GetUtcNow();
        var last = Volatile.Read(ref lastUpdate);
        lock (sync)
        {
            return new WebhookTrafficView(
                last == None ? null : now - clock.GetElapsedTime(last),
                refused,
                refused == 0 ? null : now - clock.GetElapsedTime(refusedSince),
                refused == 0 ? null : (lowestRefused, highestRefused),
                started);
        }
    }
}
