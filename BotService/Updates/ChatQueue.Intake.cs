using StackExchange.Redis;

namespace Mesh.Bot.Updates;

/// <summary>An entry to append to a chat's queue: <see cref="ChatQueue.EnqueueAsync"/>'s arguments, for many at once.</summary>
/// <param name="DedupId">Seen once within the de-dup window (<c>u:&lt;update_id&gt;</c>).</param>
/// <param name="Order">Position in the chat's queue (the update_id).</param>
public readonly record struct NewEntry(string DedupId, string ChatId, string HeaderPrefix, ReadOnlyMemory<byte> Payload, long Order);

public sealed partial class ChatQueue
{
    // EnqueueScript for many entries in one call: per entry the same de-dup, ZADD, depth and wake as one EnqueueScript
    // call, in order, so an id twice in one batch is queued once. One round trip and one script run instead of one per
    // update is the point (group commit of the webhook intake). The answer is one character per entry, '1' queued and
    // '0' duplicate: one bulk string rather than an array of integers to parse.
    // KEYS: chats, depth, then per entry seen, queue · ARGV: ttl s, wake channel, reorder window ms, then per entry
    // header prefix, payload, chat, score
    const string EnqueueManyScript = Now + """
        local ttl, window = ARGV[1], tonumber(ARGV[3])
        local answers, queued = {}, 0
        for i = 1, (#KEYS - 2) / 2 do
          local a = 4 * i
          if redis.call('SET', KEYS[2 * i + 1], '1', 'NX', 'EX', ttl) then
            redis.call('ZADD', KEYS[2 * i + 2], ARGV[a + 3], ARGV[a] .. ' ' .. now .. '\n' .. ARGV[a + 1])
            if redis.call('ZADD', KEYS[1], 'NX', now + window, ARGV[a + 2]) == 1 then redis.call('PUBLISH', ARGV[2], ARGV[a + 2]) end
            queued = queued + 1
            answers[i] = '1'
          else
            answers[i] = '0'
          end
        end
        if queued > 0 then redis.call('INCRBY', KEYS[2], queued) end
        return table.concat(answers)
        """;

    /// <summary>
    /// Appends every entry not seen before to its chat's queue, in one script call (one round trip, atomic), exactly as
    /// <see cref="EnqueueAsync"/> would one by one in this order. Answers per entry, in order: true queued, false duplicate
    /// (seen before, or earlier in <paramref name="entries"/>).
    /// </summary>
    public async Task<bool[]> EnqueueManyAsync(IReadOnlyList<NewEntry> entries)
    {
        if (entries.Count == 0)
        {
            return [];
        }
        var keys = new RedisKey[2 + 2 * entries.Count];
        var values = new RedisValue[3 + 4 * entries.Count];
        keys[0] = chats;
        keys[1] = depth;
        values[0] = dedupSeconds;
        values[1] = WakeChannel.ToString();
        values[2] = windowMs;
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            keys[2 + 2 * i] = prefix + "seen:" + entry.DedupId;
            keys[3 + 2 * i] = QueueKey(entry.ChatId);
            values[3 + 4 * i] = entry.HeaderPrefix;
            values[4 + 4 * i] = entry.Payload;
            values[5 + 4 * i] = entry.ChatId;
            values[6 + 4 * i] = entry.Order;
        }
        var answers = (string?)await Db.ScriptEvaluateAsync(EnqueueManyScript, keys, values) ?? "";
        if (answers.Length != entries.Count)
        {
            throw new InvalidOperationException($"The enqueue script answered for {answers.Length} of {entries.Count} entries.");
        }
        var queued = new bool[entries.Count];
        for (var i = 0; i < queued.Length; i++)
        {
            queued[i] = answers[i] == '1';
        }
        return queued;
    }
}
