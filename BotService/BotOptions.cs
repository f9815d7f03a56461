using Microsoft.Extensions.Options;

namespace Mesh.Bot;

/// <summary>The <c>Bot</c> configuration section: queues and workers.</summary>
public sealed class BotOptions
{
    public const string Section = "Bot";

    /// <summary>Prefix of every Redis key the bot service owns; tests give each class its own.</summary>
    public string RedisKeyPrefix { get; set; } = "bot:";

    /// <summary>
    /// Chats handled at once by this replica. Workers are cheap (an async loop each, mostly waiting on Redis and the Bot
    /// API), so there are enough of them to keep two cores busy while each waits on round trips, and no more: on two
    /// cores 32 against 64 (A/B, 40 senders) held the rate and cut the CPU per update by a tenth and the ack p99 from
    /// 18-19 ms to 13-14 ms, since fewer handlers at once means fewer wake-ups and less waiting behind each other (48 sat
    /// in between, 16 lost a tenth of the rate). The trade: with a standing backlog (100 senders) 64 drained it 10-20 %
    /// faster. Raise it with more cores, or where bursts matter more than acknowledgement latency.
    /// </summary>
    public int Workers { get; set; } = 32;

    /// <summary>How long a worker holds a chat before another worker may take it over.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an update_id is remembered for de-duplication (Telegram keeps updates 24 h).</summary>
    public TimeSpan DeduplicationWindow { get; set; } = TimeSpan.FromHours(25);

    /// <summary>Tries of one update (handler failures and worker crashes) before it is dead-lettered.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>
    /// Dead letters kept: past this many the oldest are dropped as new ones come, so a handler that fails every update
    /// cannot fill Redis with them. Operators list and requeue them (<c>BotService deadletters list|requeue</c>).
    /// </summary>
    public int DeadLetterLimit { get; set; } = 10_000;

    /// <summary>First back-off after a failed handler; doubles on each try.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long an update waits in its chat's queue before it is handled, so updates Telegram delivers concurrently
    /// (up to max_connections at once) are handled in update_id order. Not on the acknowledgement path, but every reply
    /// waits this long: it only has to cover how far apart concurrent deliveries of one chat reach the intake (a few
    /// milliseconds through the gateway), so it is short.
    /// </summary>
    public TimeSpan ReorderWindow { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>How often an idle worker looks for chats whose lease expired (new updates wake it at once).</summary>
    public TimeSpan IdlePollInterval { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// Refuses to start on a <c>Bot</c> setting that would break the update path's guarantees or stop it, naming the key:
/// no workers (nothing would ever be handled), a lease too short to renew, a de-dup window shorter than the 24 h Telegram
/// keeps an update (a re-delivery after it would be handled twice), no tries, or a zero poll interval (a busy loop).
/// </summary>
public sealed class BotOptionsValidator : IValidateOptions<BotOptions>
{
    public ValidateOptionsResult Validate(string? name, BotOptions options)
    {
        var failures = new SettingFailures(BotOptions.Section);
        failures.Require(options.Workers >= 1, nameof(BotOptions.Workers), "must be at least 1 (chats handled at once by this replica)");
        failures.Require(options.LeaseDuration >= TimeSpan.FromSeconds(1), nameof(BotOptions.LeaseDuration), "must be at least 1 second (a lease is renewed every quarter of it)");
        failures.Require(options.DeduplicationWindow >= TimeSpan.FromHours(24), nameof(BotOptions.DeduplicationWindow),
            "must be at least 24 hours (Telegram re-delivers an update for up to 24 h; 25 h is the default)");
        failures.Require(options.MaxAttempts >= 1, nameof(BotOptions.MaxAttempts), "must be at least 1");
        failures.Require(options.DeadLetterLimit >= 1, nameof(BotOptions.DeadLetterLimit), "must be at least 1 (dead letters kept for operators)");
        failures.Require(options.RetryDelay > TimeSpan.Zero, nameof(BotOptions.RetryDelay), "must be positive");
        failures.Require(options.ReorderWindow >= TimeSpan.Zero, nameof(BotOptions.ReorderWindow), "must not be negative");
        failures.Require(options.IdlePollInterval > TimeSpan.Zero, nameof(BotOptions.IdlePollInterval), "must be positive");
        return failures.Result;
    }
}
