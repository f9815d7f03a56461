using StackExchange.Redis;

namespace Mesh.Bot.Updates;

/// <summary>An entry to append to a chat's queue.</summary>
/// <param name="DedupId">Seen once within the de-dup window (<c>u:&lt;update_id&gt;</c>, <c>n:&lt;notification id&gt;</c>).</param>
/// <param name="HeaderPrefix">The entry's header up to its enqueue time (<see cref="QueuedEntry.HeaderPrefix"/>).</param>
/// <param name="Order">Position in the chat's queue (the update_id); null → after the chat's last entry.</param>
public readonly record struct NewEntry(string DedupId, string ChatId, string HeaderPrefix, ReadOnlyMemory<byte> Payload, long? Order);

public sealed partial class ChatQueue
{
    // Appends entries, in order, each unless its de-dup id was seen (so an id twice in one call is queued once): one
    // round trip and one script run for a whole batch (the group commit of the webhook intake). A chat that had no work
    // joins the chats ready after the reorder window; when any did, the batch is announced once, with how many. The
    // answer is one character per entry, '1' queued and '0' duplicate: one bulk string rather than an array to parse.
    // KEYS: chats, depth, then per entry seen, queue · ARGV: ttl s, wake channel, reorder window ms, then per entry
    // header prefix, payload, chat, score ('' = after the chat's last entry)
    const string EnqueueScript = Now + """
        local ttl, window = ARGV[1], tonumber(ARGV[3])
        -- Numbers formatted once per call, not once per entry (Redis prints a Lua number argument with printf).
        local stamp, readyAt = ' ' .. now .. '\n', tostring(now + window)
        local answers, queued, ready = {}, 0, {}
        for i = 1, (#KEYS - 2) / 2 do
          local a = 4 * i
          if redis.call('SET', KEYS[2 * i + 1], '1', 'NX', 'EX', ttl) then
            local score = ARGV[a + 3]
            if score == '' then
              local last = redis.call('ZRANGE', KEYS[2 * i + 2], -1, -1, 'WITHSCORES')
              score = (#last == 0) and 0 or math.floor(tonumber(last[2]))
            end
            redis.call('ZADD', KEYS[2 * i + 2], score, ARGV[a] .. stamp .. ARGV[a + 1])
            ready[#ready + 1] = readyAt
            ready[#ready + 1] = ARGV[a + 2]
            queued = queued + 1
            answers[i] = '1'
          else
            answers[i] = '0'
          end
        end
        if queued > 0 then
          redis.call('INCRBY', KEYS[2], queued)
          local woken = redis.call('ZADD', KEYS[1], 'NX', unpack(ready))
          if woken > 0 then redis.call('PUBLISH', ARGV[2], woken) end
        end
        return table.concat(answers)
        """;

    /// <summary>Appends an entry to its chat's queue unless <paramref name="dedupId"/> was seen; false for a duplicate.</summary>
    /// <param name="order">Position in the chat's queue (the update_id); null → after the last entry.</param>
    public async Task<bool> EnqueueAsync(string dedupId, string chatId, string headerPrefix, ReadOnlyMemory<byte> payload, long? order) =>
        (await EnqueueManyAsync([new NewEntry(dedupId, chatId, headerPrefix, payload, order)]))[0];

    /// <summary>
    /// Appends every entry not seen before to its chat's queue, in one script call (one round trip, atomic), in this
    /// order. Answers per entry, in order: true queued, false duplicate (seen before, or earlier in <paramref name="entries"/>).
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
            values[6 + 4 * i] = entry.Order is { } order ? order : "";
        }
        var answers = (string?)await intakeRedis.GetDatabase().ScriptEvaluateAsync(EnqueueScript, keys, values) ?? "";
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
