using System.Collections.Concurrent;

namespace Mesh.TelegramSandbox.Control;

/// <summary>
/// Bot API calls per bot and method (method names as Telegram spells them, case-insensitive), and how many were
/// answered 409 Conflict: tests check that a bot polls from one replica only and sets its webhook only when needed.
/// </summary>
public sealed class CallCounter
{
    private readonly ConcurrentDictionary<long, ConcurrentDictionary<string, long>> calls = new();
    private readonly ConcurrentDictionary<long, long> conflicts = new();

    /// <summary>A call to a known method, counted when it arrives (a long poll counts at once).</summary>
    public void Count(long botId, string method) =>
        calls.GetOrAdd(botId, _ => new(StringComparer.OrdinalIgnoreCase)).AddOrUpdate(method, 1, (_, n) => n + 1);

    public void CountConflict(long botId) => conflicts.AddOrUpdate(botId, 1, (_, n) => n + 1);

    public IReadOnlyDictionary<string, long> Calls(long botId) =>
        calls.TryGetValue(botId, out var methods) ? new SortedDictionary<string, long>(methods, StringComparer.Ordinal) : new SortedDictionary<string, long>();

    public long Conflicts(long botId) => conflicts.GetValueOrDefault(botId);
}
