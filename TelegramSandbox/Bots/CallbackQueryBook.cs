namespace Mesh.TelegramSandbox.Bots;

/// <summary>
/// The callback queries a bot can still answer. A query is forgotten once answered, and once past its
/// <see cref="CallbackQueryRecord.AnswerBy"/>: the expired ones are swept from the oldest on each press and answer (every
/// query gets the same timeout, so they expire in the order they were issued), without a timer per query. What a bot
/// sees does not change: a query answered, expired or never issued gets the same "query is too old" from
/// answerCallbackQuery. Call under the bot's <see cref="SandboxBot.Sync"/>.
/// </summary>
public sealed class CallbackQueryBook
{
    private readonly Dictionary<string, CallbackQueryRecord> open = [];
    private readonly Queue<CallbackQueryRecord> byAge = new();

    /// <summary>Queries that can still be answered, and answered or expired ones not swept yet.</summary>
    public int Count => open.Count;

    public void Add(CallbackQueryRecord query, DateTimeOffset now)
    {
        Sweep(now);
        open[query.Id] = query;
        byAge.Enqueue(query);
    }

    /// <summary>Takes the query for its answer: false when it was never issued, is answered already or is past its timeout.</summary>
    public bool TryTake(string id, DateTimeOffset now, out CallbackQueryRecord query)
    {
        Sweep(now);
        return open.Remove(id, out query!) && now <= query.AnswerBy;
    }

    private void Sweep(DateTimeOffset now)
    {
        while (byAge.TryPeek(out var oldest) && now > oldest.AnswerBy)
        {
            byAge.Dequeue();
            open.Remove(oldest.Id);
        }
    }
}
