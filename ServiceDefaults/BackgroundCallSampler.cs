using System.Diagnostics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The root sampler of every Mesh service (under <see cref="ParentBasedSampler"/>, which decides every span that has a
/// parent: it follows the parent). A trace starts at a request served (an update's webhook, an operator's call or
/// dashboard command), an update or notification handled, or another span of our own; it does not start at a Redis call
/// made outside all of them: the workers' idle claims and settles, lease renewals, queue sampling, the Redis client's
/// heartbeat and subscription. Those came every few seconds on an idle mesh and buried the updates' traces; what they
/// find goes to logs and metrics. A claim that leases a chat is not lost with them: the handling starts its own span,
/// continuing the update's trace. Only roots come here (one per webhook request in the gateway, none per update in the
/// bot), and only a root client span has its tags read.
/// </summary>
public sealed class BackgroundCallSampler : Sampler
{
    public static readonly Sampler Instance = new ParentBasedSampler(new BackgroundCallSampler());

    static readonly SamplingResult Record = new(SamplingDecision.RecordAndSample);
    static readonly SamplingResult Drop = new(SamplingDecision.Drop);

    BackgroundCallSampler() => Description = nameof(BackgroundCallSampler);

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) =>
        samplingParameters.Kind == ActivityKind.Client && IsRedisCall(samplingParameters.Tags) ? Drop : Record;

    /// <summary>The Redis instrumentation names the system among the tags it starts every span with.</summary>
    static bool IsRedisCall(IEnumerable<KeyValuePair<string, object?>>? tags)
    {
        if (tags is null)
        {
            return false;
        }
        foreach (var (key, value) in tags)
        {
            if (key is "db.system" or "db.system.name" && value is "redis")
            {
                return true;
            }
        }
        return false;
    }
}
