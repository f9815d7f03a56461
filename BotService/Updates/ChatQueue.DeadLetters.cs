using System.Text;
using System.Text.RegularExpressions;
using Mesh.Bot.Grpc;
using Mesh.Bot.Telegram;
using StackExchange.Redis;

namespace Mesh.Bot.Updates;

/// <summary>
/// An entry given up on: its chat, why (the note: the entry's kind and id, its tries and last error), and the entry as
/// it was queued (null when it cannot be read). <paramref name="ChatId"/> is null when the letter does not say (it
/// cannot be requeued).
/// </summary>
public sealed record DeadLetter(string? ChatId, string Note, QueuedEntry? Entry, int Size);

/// <summary>What a requeue did: dead letters put back in their chats' queues, and those it left in the list.</summary>
/// <param name="Left">Letters left: of other chats (a requeue of one chat), or that cannot be handled again (no chat
/// recorded with them, an unreadable entry, a chat's queue that is not a queue).</param>
public sealed record Requeued(long Count, long Left);

public sealed partial class ChatQueue
{
    // Takes up to ARGV[3] dead letters from the oldest end and appends each to its chat's queue after the chat's last entry
    // (placed as a notification is: after what the chat has queued, and in the letters' order), stamped with the time
    // now (an age gauge reads the queue's oldest entry). The chat is the letter's first word ('<chat> <note>\n<entry>');
    // a letter written before that format names it in its note (' chat <id> ' or ' chat <id>:'). A letter not taken (of
    // another chat than ARGV[4], when given; no chat; an entry that is not '<u|n> <id> <trace> <13-digit ms>\n…'; a
    // queue key of another type) goes back to the list's newest end, and the caller stops after the letters it meant to
    // go through, so none is taken twice. A requeued notification recorded FAILED is PENDING again.
    // KEYS: deadletter, chats, depth · ARGV: prefix, wake channel, count, chat ('' = every chat), notification outcome key
    //   prefix, FAILED's name, PENDING's name → {requeued, left}
    const string RequeueScript = Now + EnqueuedAt + AfterLast + """
        local letters = redis.call('LPOP', KEYS[1], ARGV[3])
        if not letters then return {0, 0} end
        local requeued, left, ready, at = 0, 0, {}, tostring(now)
        for _, letter in ipairs(letters) do
          local nl = string.find(letter, '\n', 1, true)
          local line = nl and string.sub(letter, 1, nl - 1) or ''
          local chat = string.match(line, '^(%-?%d+) ') or string.match(line, ' chat (%-?%d+)[ :]')
          local entry = nl and string.sub(letter, nl + 1) or ''
          local header = string.find(entry, '\n', 1, true)
          local done = false
          if chat and (ARGV[4] == '' or ARGV[4] == chat) and header and string.find(entry, '^[un] ') and enqueued(entry) > 0 then
            local q = ARGV[1] .. 'q:' .. chat
            local score = afterLast(q)
            if score then
              local added = redis.pcall('ZADD', q, score, string.sub(entry, 1, header - 14) .. at .. string.sub(entry, header))
              if type(added) == 'number' then
                done = true
                requeued = requeued + added
                ready[#ready + 1] = at
                ready[#ready + 1] = chat
                local notification = string.match(entry, '^n (%S+)')
                if notification and redis.pcall('GET', ARGV[5] .. notification) == ARGV[6] then
                  redis.call('SET', ARGV[5] .. notification, ARGV[7], 'KEEPTTL')
                end
              end
            end
          end
          if not done then
            redis.call('RPUSH', KEYS[1], letter)
            left = left + 1
          end
        end
        if requeued > 0 then redis.call('INCRBY', KEYS[3], requeued) end
        if #ready > 0 then
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
    /// Puts every dead letter there is now (of <paramref name="chatId"/> only, when given) back in its chat's queue, to be
    /// handled again with a fresh count of tries, after what the chat has queued. De-duplication does not apply: an
    /// operator asks for it to be handled again. The letters that cannot be handled again stay in the list.
    /// </summary>
    public async Task<Requeued> RequeueDeadLettersAsync(string? chatId, CancellationToken cancellationToken)
    {
        var total = await Db.ListLengthAsync(deadLetter);
        long requeued = 0, left = 0;
        for (long done = 0; done < total; done += RequeueChunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var result = (RedisResult[])(await Db.ScriptEvaluateAsync(RequeueScript, [deadLetter, chats, depth],
                [prefix, wakeChannelName, Math.Min(RequeueChunk, total - done), chatId ?? "", prefix + NotificationDelivery.OutcomeKeyInfix,
                 nameof(NotificationOutcome.Failed), nameof(NotificationOutcome.Pending)]))!;
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
        var entry = newline >= 0 && QueuedEntry.TryParse(letter.AsMemory(newline + 1), out var parsed) ? parsed : (QueuedEntry?)null;
        if (ChatFirst().Match(line) is { Success: true } first)
        {
            return new DeadLetter(first.Groups[1].Value, line[first.Length..], entry, letter.Length);
        }
        var named = ChatInNote().Match(line);
        return new DeadLetter(named.Success ? named.Groups[1].Value : null, line, entry, letter.Length);
    }

    /// <summary>A letter's chat, its first word: '&lt;chat&gt; &lt;note&gt;'.</summary>
    [GeneratedRegex(@"^(-?[0-9]+) ")]
    private static partial Regex ChatFirst();

    /// <summary>The chat in a note written before the chat led the letter (' chat &lt;id&gt; ' or ' chat &lt;id&gt;:').</summary>
    [GeneratedRegex(@" chat (-?[0-9]+)[ :]")]
    private static partial Regex ChatInNote();
}
