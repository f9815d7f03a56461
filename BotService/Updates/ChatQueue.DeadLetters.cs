using System.Text;
using StackExchange.Redis;

namespace Mesh.Bot.Updates;

/// <summary>
/// An entry given up on: its chat, why (the note: the entry's kind and id, its tries and last error), and the entry as
/// it was queued. <paramref name="ChatId"/> is null for a dead letter written before the chat led the note (it cannot
/// be requeued).
/// </summary>
public sealed record DeadLetter(string? ChatId, string Note, QueuedEntry? Entry, int Size);

/// <summary>What a requeue did: dead letters put back in their chats' queues, and those left in the list (no chat).</summary>
public sealed record Requeued(long Count, long Left);

public sealed partial class ChatQueue
{
    // Takes up to ARGV[3] dead letters from the oldest end and appends each to its chat's queue after the chat's last entry
    // (placed as a notification is, so it is handled next in its chat and keeps the order of the letters), ready at once
    // (its enqueue time is long past). A letter with no chat ('<chat> <note>\n<entry>' is the format) goes back to the
    // list's newest end, and the caller stops after the letters it meant to go through, so it is not taken twice.
    // KEYS: deadletter, chats, depth · ARGV: prefix, wake channel, count → {requeued, left}
    const string RequeueScript = Now + """
        local letters = redis.call('LPOP', KEYS[1], ARGV[3])
        if not letters then return {0, 0} end
        local requeued, left, ready, at = 0, 0, {}, tostring(now)
        for _, letter in ipairs(letters) do
          local space, nl = string.find(letter, ' ', 1, true), string.find(letter, '\n', 1, true)
          local chat = space and nl and space < nl and string.sub(letter, 1, space - 1)
          if chat and string.find(chat, '^%-?%d+$') then
            local q = ARGV[1] .. 'q:' .. chat
            local last = redis.call('ZRANGE', q, -1, -1, 'WITHSCORES')
            local score = 0
            if #last > 0 then
              local s = tonumber(last[2])
              score = math.min(s + 1 / 1024, math.floor(s) + 1023 / 1024)
            end
            redis.call('ZADD', q, score, string.sub(letter, nl + 1))
            ready[#ready + 1] = at
            ready[#ready + 1] = chat
            requeued = requeued + 1
          else
            redis.call('RPUSH', KEYS[1], letter)
            left = left + 1
          end
        end
        if requeued > 0 then
          redis.call('INCRBY', KEYS[3], requeued)
          local woken = redis.call('ZADD', KEYS[2], 'NX', unpack(ready))
          if woken > 0 then redis.call('PUBLISH', ARGV[2], woken) end
        end
        return {requeued, left}
        """;

    /// <summary>Dead letters per script call of a requeue: each call holds Redis for a moment only.</summary>
    const int RequeueChunk = 100;

    /// <summary>How many dead letters there are.</summary>
    public Task<long> DeadLetterCountAsync() => Db.ListLengthAsync(deadLetter);

    /// <summary>The newest <paramref name="count"/> dead letters, newest first.</summary>
    public async Task<IReadOnlyList<DeadLetter>> DeadLettersAsync(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var letters = await Db.ListRangeAsync(deadLetter, -count, -1);
        var read = new DeadLetter[letters.Length];
        for (var i = 0; i < letters.Length; i++)
        {
            read[letters.Length - 1 - i] = ReadDeadLetter(letters[i]!);
        }
        return read;
    }

    /// <summary>
    /// Puts every dead letter there is now back in its chat's queue, to be handled again with a fresh count of tries,
    /// after what the chat has queued. De-duplication does not apply: an operator asks for it to be handled again.
    /// Letters with no chat stay in the list.
    /// </summary>
    public async Task<Requeued> RequeueDeadLettersAsync(CancellationToken cancellationToken)
    {
        var total = await Db.ListLengthAsync(deadLetter);
        long requeued = 0, left = 0;
        for (long done = 0; done < total; done += RequeueChunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var result = (RedisResult[])(await Db.ScriptEvaluateAsync(RequeueScript, [deadLetter, chats, depth],
                [prefix, wakeChannelName, Math.Min(RequeueChunk, total - done)]))!;
            if ((long)result[0] + (long)result[1] == 0)
            {
                break;
            }
            requeued += (long)result[0];
            left += (long)result[1];
        }
        return new Requeued(requeued, left);
    }

    static DeadLetter ReadDeadLetter(byte[] letter)
    {
        var span = letter.AsSpan();
        var newline = span.IndexOf((byte)'\n');
        var line = Encoding.UTF8.GetString(newline < 0 ? span : span[..newline]);
        var space = line.IndexOf(' ');
        var chat = space > 0 && long.TryParse(line.AsSpan(0, space), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out _)
            ? line[..space] : null;
        var entry = newline >= 0 && QueuedEntry.TryParse(letter.AsMemory(newline + 1), out var parsed) ? parsed : (QueuedEntry?)null;
        return new DeadLetter(chat, chat is null ? line : line[(space + 1)..], entry, letter.Length);
    }
}
