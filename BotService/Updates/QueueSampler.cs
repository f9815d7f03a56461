using StackExchange.Redis;

namespace Mesh.Bot.Updates;

/// <summary>Samples queue depth and the oldest waiting update's age for the metrics, every 10 s (one round trip).</summary>
public sealed class QueueSampler(ChatQueue queue) : BackgroundService
{
    static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var (depth, oldest) = await queue.SampleAsync();
                Interlocked.Exchange(ref BotTelemetry.QueueDepth, depth);
                Volatile.Write(ref BotTelemetry.OldestUpdateAgeSeconds, oldest?.TotalSeconds ?? 0);
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
            }
        }
    }
}
