using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Mesh.Gateway;

/// <summary>The gateway's one ActivitySource and one Meter, both named after it.</summary>
public static class GatewayTelemetry
{
    public const string Name = "Mesh.Gateway";

    public static readonly ActivitySource Source = new(Name);

    static readonly Meter Meter = new(Name);

    /// <summary>Updates per <c>AcceptBatch</c> call: near 1 when idle, larger as load grows (each call is one Redis round trip).</summary>
    public static readonly Histogram<int> AcceptBatchSize = Meter.CreateHistogram<int>("mesh.gateway.accept.batch_size", "{update}", "Updates handed to the bot service per AcceptBatch call");
}
