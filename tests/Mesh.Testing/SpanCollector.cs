using System.Diagnostics;
using OpenTelemetry;

namespace Mesh.Testing;

/// <summary>
/// The spans a service's exporter would get (those ended and recorded), for a test that runs the service in-process:
/// <c>services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddProcessor(collector))</c>.
/// </summary>
public sealed class SpanCollector : BaseProcessor<Activity>
{
    readonly List<Activity> recorded = [];

    /// <summary>A copy of what was recorded so far.</summary>
    public List<Activity> Recorded
    {
        get
        {
            lock (recorded) return [.. recorded];
        }
    }

    public override void OnEnd(Activity data)
    {
        if (data.Recorded)
        {
            lock (recorded) recorded.Add(data);
        }
    }
}
