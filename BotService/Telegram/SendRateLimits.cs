using Microsoft.Extensions.Options;

namespace Mesh.Bot.Telegram;

/// <summary>
/// Telegram's flood limits, kept on our side: a limit per chat, one per group (a negative chat id: groups, supergroups
/// and channels; about 20 messages a minute, on top of the chat's) and one for the whole bot (per replica), each a
/// schedule (the generic cell rate algorithm). A limit remembers only when its next message would be due at its steady
/// rate; a message may go at once while that moment is less than a burst away, and each message moves it on by one
/// interval. Nothing runs between messages (no refill timer, unlike a token bucket that replenishes itself): an idle bot
/// spends nothing here, and a message within its limits costs a lock and, per chat, a dictionary lookup (a group's, one
/// more of each; a private chat's, a comparison more). A message over a limit is given the next free moment at once, so
/// messages waiting on one limit go in the order they came, and waits for it (a timer only then); the next limit's
/// moment is taken once that wait is over, chat, then group, then global.
/// </summary>
public sealed class SendRateLimits
{
    readonly Schedule? global;
    readonly ChatSchedules? perChat;
    readonly ChatSchedules? perGroup;
    readonly TimeProvider clock;

    public SendRateLimits(IOptions<TelegramOptions> options, TimeProvider clock)
    {
        this.clock = clock;
        var o = options.Value;
        if (o.GlobalPerSecond > 0)
        {
            global = new Schedule(Rate.Of(o.GlobalPerSecond, o.GlobalBurst, clock.TimestampFrequency));
        }
        if (o.PerChatPerSecond > 0)
        {
            perChat = new ChatSchedules(Rate.Of(o.PerChatPerSecond, o.PerChatBurst, clock.TimestampFrequency));
        }
        if (o.PerGroupPerMinute > 0)
        {
            perGroup = new ChatSchedules(Rate.Of(o.PerGroupPerMinute / 60, o.PerGroupBurst, clock.TimestampFrequency));
        }
    }

    /// <summary>Chats whose limit still remembers a recent message (tests: the state stays bounded).</summary>
    internal int ChatsTracked => perChat?.Count ?? 0;

    /// <summary>Groups whose group limit still remembers a recent message (tests: the state stays bounded, and holds no private chat).</summary>
    internal int GroupsTracked => perGroup?.Count ?? 0;

    /// <summary>
    /// Waits until the chat's limit, a group's own (<paramref name="chatId"/> negative) and the global limit allow one
    /// more message, and counts it against each.
    /// </summary>
    public ValueTask WaitAsync(long chatId, CancellationToken cancellationToken)
    {
        var now = clock.GetTimestamp();
        if (perChat is not null)
        {
            var wait = perChat.Reserve(chatId, now);
            if (wait > 0)
            {
                return WaitThenRestAsync(wait, chatId < 0 ? perGroup : null, chatId, cancellationToken);
            }
        }
        if (chatId < 0 && perGroup is not null)
        {
            var wait = perGroup.Reserve(chatId, now);
            if (wait > 0)
            {
                return WaitThenRestAsync(wait, null, chatId, cancellationToken);
            }
        }
        return global is null ? ValueTask.CompletedTask : WaitForAsync(global.Reserve(now), cancellationToken);
    }

    /// <summary>Waits <paramref name="ticks"/>, then for the group's limit (<paramref name="group"/>, when not null), then for the global one.</summary>
    async ValueTask WaitThenRestAsync(long ticks, ChatSchedules? group, long chatId, CancellationToken cancellationToken)
    {
        await WaitForAsync(ticks, cancellationToken);
        if (group is not null)
        {
            await WaitForAsync(group.Reserve(chatId, clock.GetTimestamp()), cancellationToken);
        }
        if (global is not null)
        {
            await WaitForAsync(global.Reserve(clock.GetTimestamp()), cancellationToken);
        }
    }

    ValueTask WaitForAsync(long ticks, CancellationToken cancellationToken) =>
        ticks <= 0 ? ValueTask.CompletedTask
            : new ValueTask(Task.Delay(TimeSpan.FromSeconds((double)ticks / clock.TimestampFrequency), clock, cancellationToken));

    /// <summary>
    /// A steady rate and its burst in timestamp ticks: <see cref="Interval"/> between messages, and how far ahead
    /// (<see cref="Tolerance"/>, <c>burst - 1</c> intervals) the next message's moment may be for one to go at once.
    /// </summary>
    readonly record struct Rate(long Interval, long Tolerance)
    {
        public static Rate Of(double perSecond, int burst, long frequency)
        {
            var interval = Math.Max(1, (long)Math.Round(frequency / perSecond));
            return new Rate(interval, (Math.Max(1, burst) - 1) * interval);
        }

        /// <summary>
        /// The cell rate step: the message goes at <c>max(now, due - tolerance)</c> and the next is due one interval
        /// after <c>max(due, now)</c>. Answers the wait from <paramref name="now"/>.
        /// </summary>
        public long Take(ref long due, long now)
        {
            var next = Math.Max(due, now);
            due = next + Interval;
            return next - Tolerance - now;
        }
    }

    /// <summary>
    /// One limit: <see cref="due"/> is when the next message would go at the steady rate (a timestamp). A wait given
    /// out is not taken back when its waiter is cancelled (the bot then sends a little less, never more).
    /// </summary>
    sealed class Schedule(Rate rate)
    {
        readonly Lock gate = new();
        long due;

        /// <summary>Takes the next free moment; the ticks to wait for it from <paramref name="now"/> (0 or less: none).</summary>
        public long Reserve(long now)
        {
            lock (gate)
            {
                return rate.Take(ref due, now);
            }
        }
    }

    /// <summary>
    /// A limit per chat (or per group): a schedule each, kept while it still remembers a message (its next moment is
    /// ahead). Those that have passed are dropped whenever the table has doubled since the last sweep, so it holds about
    /// the chats messaged in the last burst's worth of intervals, not every chat ever seen.
    /// </summary>
    sealed class ChatSchedules(Rate rate)
    {
        const int FirstSweepAt = 1024;
        readonly Dictionary<long, long> due = [];
        readonly Lock gate = new();
        int sweepAt = FirstSweepAt;

        public int Count
        {
            get
            {
                lock (gate)
                {
                    return due.Count;
                }
            }
        }

        public long Reserve(long chatId, long now)
        {
            lock (gate)
            {
                if (due.Count >= sweepAt)
                {
                    Sweep(now);
                }
                ref var chatDue = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(due, chatId, out _);
                return rate.Take(ref chatDue, now);
            }
        }

        void Sweep(long now)
        {
            foreach (var (chat, at) in due)
            {
                if (at <= now)
                {
                    due.Remove(chat); // allowed while enumerating a Dictionary
                }
            }
            sweepAt = Math.Max(FirstSweepAt, 2 * due.Count);
        }
    }
}
