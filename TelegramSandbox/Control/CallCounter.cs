using System.Collections.Concurrent;

namespace Mesh.TelegramSandbox.Control;

/// <summary>
/// Bot API calls per bot and method (method names as Telegram spells them, case-insensitive), how many were answered
/// 409 Conflict and how many 429 Too Many Requests by the flood limits: tests check that a bot polls from one replica
/// only, sets its webhook only when needed and paces its messages.
/// </summary>
public sealed class CallCounter
{
    private readonly ConcurrentDictionary<long, ConcurrentDictionary<string, long>> calls = new();
    private readonly ConcurrentDictionary<long, long> conflicts = new();
    private readonly ConcurrentDictionary<long, long> rateLimited = new();

    /// <summary>A call to a known method, counted when it arrives (a long poll counts at once).</summary>
    public void Count(long botId, string method) =>
        calls.GetOrAdd(botId, _ => new(StringComparer.OrdinalIgnoreCase)).AddOrUpdate(method, 1, (_, n) => n + 1);

    public void CountConflict(long botId) => conflicts.AddOrUpdate(botId, 1, (_, n) => n + 1);

    /// <summary>A call refused by the flood limits (not one failed by the fault switch).</summary>
    public void CountRateLimited(long botId) => rateLimited.AddOrUpdate(botId, 1, (_, n) => n + 1);

    public IReadOnlyDictionary<string, long> Calls(long botId) =>
        calls.TryGetValue(botId, out var methods) ? new SortedDictionary<string, long>(methods, StringComparer.Ordinal) : new SortedDictionary<string, long>();

    public long Conflicts(long botId) => conflicts.GetValueOrDefault(botId);

    public long RateLimited(long botId) => rateLimited.GetValueOrDefault(botId);
}
