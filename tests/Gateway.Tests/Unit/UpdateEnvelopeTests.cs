using System.Buffers;
using System.Text;
using Mesh.Gateway.Webhook;

namespace Mesh.Gateway.Tests.Unit;

public sealed class UpdateEnvelopeTests
{
    static bool Read(string json, out UpdateEnvelope envelope) =>
        UpdateEnvelope.TryRead(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(json)), out envelope);

    [Fact]
    public void Message_gives_update_id_and_chat_id()
    {
        Assert.True(Read("""{"update_id":10,"message":{"message_id":1,"from":{"id":5,"first_name":"A"},"chat":{"id":-100123,"type":"group"},"text":"hi"}}""", out var e));
        Assert.Equal(new UpdateEnvelope(10, -100123), e);
    }

    [Fact]
    public void Callback_query_gives_the_chat_of_its_message()
    {
        Assert.True(Read("""{"update_id":11,"callback_query":{"id":"q","from":{"id":5},"message":{"message_id":2,"chat":{"id":77,"type":"private"}},"data":"x"}}""", out var e));
        Assert.Equal(77, e.ChatId);
    }

    [Fact]
    public void Update_without_a_chat_uses_the_sender()
    {
        Assert.True(Read("""{"update_id":12,"inline_query":{"id":"q","from":{"id":99,"first_name":"B"},"query":""}}""", out var e));
        Assert.Equal(99, e.ChatId);
    }

    [Fact]
    public void Nested_ids_are_not_taken_for_the_chat()
    {
        Assert.True(Read("""{"update_id":13,"message":{"chat":{"type":"private","pinned":{"id":1},"id":42}}}""", out var e));
        Assert.Equal(42, e.ChatId);
    }

    [Theory]
    [InlineData("""{"message":{"chat":{"id":1}}}""")]
    [InlineData("""{"update_id":"7"}""")]
    [InlineData("""{"update_id":0}""")]
    [InlineData("""{"update_id":7""")]
    [InlineData("""[1,2]""")]
    [InlineData("""not json""")]
    [InlineData("")]
    public void Malformed_or_anonymous_updates_are_refused(string json) => Assert.False(Read(json, out _));
}
