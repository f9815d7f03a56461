using Microsoft.Extensions.Options;

namespace Mesh.Gateway.Webhook;

/// <summary>The gateway's <c>Gateway</c> section, for the webhook's group commit (<see cref="UpdateBatcher"/>).</summary>
public sealed class UpdateBatchOptions
{
    public const string Section = "Gateway";

    /// <summary>
    /// <c>AcceptBatch</c> calls in flight at once. While they are, new updates wait and go together in the next call.
    /// Two: one slow call does not hold every update up, and batches stay large under load (on the 2-core benchmark
    /// machine 1 and 2 did equally well, 3 a little and 4 clearly worse: more, smaller calls).
    /// </summary>
    public int AcceptConcurrency { get; set; } = 2;

    /// <summary>Most updates in one call.</summary>
    public int AcceptBatchMaxUpdates { get; set; } = 128;

    /// <summary>
    /// Most update bytes in one call (one larger update still goes, alone): well under the bot's 4 MiB message limit
    /// with the gateway's 1 MiB body limit.
    /// </summary>
    public int AcceptBatchMaxBytes { get; set; } = 512 * 1024;
}

public sealed class UpdateBatchOptionsValidator : IValidateOptions<UpdateBatchOptions>
{
    public ValidateOptionsResult Validate(string? name, UpdateBatchOptions options) =>
        options.AcceptConcurrency is < 1 or > 64 || options.AcceptBatchMaxUpdates < 1 || options.AcceptBatchMaxBytes < 1
            ? ValidateOptionsResult.Fail($"{UpdateBatchOptions.Section}:{nameof(UpdateBatchOptions.AcceptConcurrency)} must be 1–64, " +
                $"{nameof(UpdateBatchOptions.AcceptBatchMaxUpdates)} and {nameof(UpdateBatchOptions.AcceptBatchMaxBytes)} positive.")
            : ValidateOptionsResult.Success;
}
