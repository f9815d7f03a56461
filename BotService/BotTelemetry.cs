using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Mesh.Bot;

/// <summary>The bot service's one ActivitySource and one Meter, both named after it.</summary>
public static class BotTelemetry
{
    public const string Name = "Mesh.BotService";

    public static readonly ActivitySource Source = new(Name);

    static readonly Meter Meter = new(Name);

    public static readonly Counter<long> UpdatesAccepted = Meter.CreateCounter<long>("mesh.bot.updates.accepted", "{update}", "Updates queued (status accepted or duplicate)");

    public static readonly Counter<long> UpdatesHandled = Meter.CreateCounter<long>("mesh.bot.updates.handled", "{update}", "Updates handled (outcome handled, failed, dead_lettered)");

    public static readonly Histogram<double> HandlerDuration = Meter.CreateHistogram<double>("mesh.bot.handler.duration", "s", "Time to run the handler pipeline for one update");

    public static readonly Counter<long> Sends = Meter.CreateCounter<long>("mesh.bot.sends", "{message}", "Bot API sends by outcome (sent, 429, 403, failed)");

    /// <summary>Latest sample of the queues, kept by <see cref="Updates.QueueSampler"/>.</summary>
    public static long QueueDepth;

    public static double OldestUpdateAgeSeconds;

    static BotTelemetry()
    {
        Meter.CreateObservableGauge("mesh.bot.queue.depth", () => Interlocked.Read(ref QueueDepth), "{update}", "Updates waiting in all chat queues");
        Meter.CreateObservableGauge("mesh.bot.queue.oldest_age", () => Volatile.Read(ref OldestUpdateAgeSeconds), "s", "Age of the oldest waiting update");
    }
}
