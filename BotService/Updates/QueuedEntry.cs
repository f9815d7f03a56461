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
    /// <summary>The header up to (not including) the enqueue time, which the intake script appends.</summary>
    public static string HeaderPrefix(EntryKind kind, string id, string? traceParent) =>
        $"{(kind == EntryKind.Update ? 'u' : 'n')} {id} {(string.IsNullOrEmpty(traceParent) ? "-" : traceParent)}";

    public static QueuedEntry Parse(ReadOnlyMemory<byte> raw)
    {
        var span = raw.Span;
        var newline = span.IndexOf((byte)'\n');
        if (newline < 0)
        {
            throw new FormatException("Queued entry has no header.");
        }
        var header = Encoding.ASCII.GetString(span[..newline]).Split(' ');
        if (header.Length != 4 || !long.TryParse(header[3], out var enqueued))
        {
            throw new FormatException("Queued entry has a malformed header.");
        }
        var kind = header[0] == "n" ? EntryKind.Notification : EntryKind.Update;
        return new QueuedEntry(kind, header[1], header[2] == "-" ? null : header[2], enqueued, raw[(newline + 1)..]);
    }
}
