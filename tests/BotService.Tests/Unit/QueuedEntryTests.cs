using System.Text;
using Mesh.Bot.Updates;

namespace Mesh.Bot.Tests.Unit;

public sealed class QueuedEntryTests
{
    [Fact]
    public void Entry_keeps_its_header_and_payload_apart()
    {
        const string payload = "{\"update_id\":7,\"message\":{\"text\":\"a\\nb\"}}\n";
        var raw = Encoding.UTF8.GetBytes(QueuedEntry.HeaderPrefix(EntryKind.Update, "7", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01") + " 1700000000123\n" + payload);

        var entry = QueuedEntry.Parse(raw);

        Assert.Equal(EntryKind.Update, entry.Kind);
        Assert.Equal("7", entry.Id);
        Assert.Equal("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", entry.TraceParent);
        Assert.Equal(1700000000123, entry.EnqueuedAtMs);
        Assert.Equal(payload, Encoding.UTF8.GetString(entry.Payload.Span));
    }

    [Fact]
    public void Entry_without_trace_context_has_none()
    {
        var entry = QueuedEntry.Parse(Encoding.UTF8.GetBytes(QueuedEntry.HeaderPrefix(EntryKind.Notification, "n1", null) + " 5\nx"));

        Assert.Equal(EntryKind.Notification, entry.Kind);
        Assert.Null(entry.TraceParent);
    }

    [Theory]
    [InlineData("{}")]                       // no header line
    [InlineData("u 7 - \n{}")]               // no enqueue time
    [InlineData("u 7 - 12x\n{}")]            // an enqueue time that is not a number
    [InlineData("u 7 -\n{}")]                // a field short
    [InlineData("u 7 - 5 extra\n{}")]        // a field too many
    [InlineData("x 7 - 5\n{}")]              // neither an update nor a notification
    [InlineData("u  - 5\n{}")]               // no id
    [InlineData("n ticket:42\nanswer - 5\n")] // an id with a line break in it
    public void Malformed_header_is_refused(string raw)
    {
        Assert.Throws<FormatException>(() => QueuedEntry.Parse(Encoding.UTF8.GetBytes(raw)));
        Assert.False(QueuedEntry.TryParse(Encoding.UTF8.GetBytes(raw), out _));
    }
}
