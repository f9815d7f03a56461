using System.Buffers.Text;
using System.Text;

namespace Mesh.Bot.Updates;

public enum EntryKind
{
    /// <summary>A Telegram update (raw JSON).</summary>
    Update,

    /// <summary>An outbound notification (a serialised <c>SendNotificationRequest</c>).</summary>
    Notification,
}

/// <summary>
/// One element of a chat's queue: a one-line header <c>&lt;u|n&gt; &lt;id&gt; &lt;traceparent|-&gt; &lt;enqueued unix ms&gt;</c>,
/// a newline, then the payload exactly as received. The enqueue time is Redis's clock, written by the intake script.
/// </summary>
public readonly record struct QueuedEntry(EntryKind Kind, string Id, string? TraceParent, long EnqueuedAtMs, ReadOnlyMemory<byte> Payload)
{
    /// <summary>The header's fields, in words (for an entry that does not have them).</summary>
    public const string HeaderFormat = "<u|n> <id> <traceparent|-> <enqueued unix ms>";

    /// <summary>The header up to (not including) the enqueue time, which the intake script appends.</summary>
    public static string HeaderPrefix(EntryKind kind, string id, string? traceParent) =>
        $"{(kind == EntryKind.Update ? 'u' : 'n')} {id} {(string.IsNullOrEmpty(traceParent) ? "-" : traceParent)}";

    public static QueuedEntry Parse(ReadOnlyMemory<byte> raw) =>
        TryParse(raw, out var entry) ? entry : throw new FormatException("Queued entry has a malformed header.");

    /// <summary>Reads an entry; false when its header is not <c>&lt;u|n&gt; &lt;id&gt; &lt;traceparent|-&gt; &lt;enqueued unix ms&gt;</c>.</summary>
    public static bool TryParse(ReadOnlyMemory<byte> raw, out QueuedEntry entry)
    {
        entry = default;
        var span = raw.Span;
        var newline = span.IndexOf((byte)'\n');
        if (newline < 0)
        {
            return false;
        }
        // Read in place: only the id and the traceparent become strings.
        var header = span[..newline];
        Span<Range> fields = stackalloc Range[4];
        var count = 0;
        foreach (var field in header.Split((byte)' '))
        {
            if (count == fields.Length)
            {
                count++;
                break;
            }
            fields[count++] = field;
        }
        if (count != 4 || header[fields[0]] is not ([(byte)'u'] or [(byte)'n']) || header[fields[1]].IsEmpty
            || !Utf8Parser.TryParse(header[fields[3]], out long enqueued, out var used) || used != header[fields[3]].Length)
        {
            return false;
        }
        var kind = header[fields[0]] is [(byte)'n'] ? EntryKind.Notification : EntryKind.Update;
        var traceParent = header[fields[2]];
        entry = new QueuedEntry(kind, Encoding.ASCII.GetString(header[fields[1]]), traceParent is [(byte)'-'] ? null : Encoding.ASCII.GetString(traceParent), enqueued, raw[(newline + 1)..]);
        return true;
    }
}
