using System.Net;
using System.Text;
using Mesh.Bot.Telegram;
using Microsoft.Extensions.Options;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types.Enums;

namespace Mesh.Bot.Tests.Unit;

/// <summary>
/// How the transport reads the Bot API's answers, byte for byte as Telegram writes them (and as a proxy in front of it
/// does when it fails): the message id of a sent message, Telegram's errors with their parameters, and anything else
/// as a failure of the request, never a message id made up.
/// </summary>
public sealed class BotApiTransportTests
{
    const string Token = "123456:ABC-test-token";

    static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Answers every request with <paramref name="status"/> and <paramref name="body"/>, and keeps the last request.</summary>
    sealed class CannedBotApi(HttpStatusCode status, string body, string contentType = "application/json") : HttpMessageHandler
    {
        public HttpRequestMessage? Last { get; private set; }

        public string? LastBody { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Last = request;
            LastBody = await request.Content!.ReadAsStringAsync(cancellationToken);
            return new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, contentType) };
        }
    }

    static (BotApiTransport Transport, CannedBotApi Api) Transport(HttpStatusCode status, string body, string contentType = "application/json")
    {
        var api = new CannedBotApi(status, body, contentType);
        return (Over(api), api);
    }

    static BotApiTransport Over(HttpMessageHandler api, TimeSpan? timeout = null) =>
        new(new HttpClient(api) { Timeout = timeout ?? TimeSpan.FromSeconds(30) },
            Options.Create(new TelegramOptions { BotToken = Token, ApiBaseUrl = "http://bot-api.test/" }));

    /// <summary>A Bot API that answers with whatever <paramref name="answer"/> does.</summary>
    sealed class ScriptedBotApi(Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> answer) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => answer(request, cancellationToken);
    }

    /// <summary>A body read only through <see cref="Stream.ReadAsync(Memory{byte}, CancellationToken)"/>, as the transport reads it.</summary>
    abstract class AsyncReadOnlyStream : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>An answer's body that sends its first bytes and then nothing more until it is disposed of (a stalled connection).</summary>
    sealed class StalledBody(byte[] start) : AsyncReadOnlyStream
    {
        readonly TaskCompletionSource disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        int sent;

        public bool Disposed => disposed.Task.IsCompleted;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (sent < start.Length)
            {
                var n = Math.Min(buffer.Length, start.Length - sent);
                start.AsMemory(sent, n).CopyTo(buffer);
                sent += n;
                return n;
            }
            await disposed.Task.WaitAsync(cancellationToken);
            throw new IOException("The connection was closed.");
        }

        protected override void Dispose(bool disposing)
        {
            disposed.TrySetResult();
            base.Dispose(disposing);
        }
    }

    /// <summary>An answer's body that arrives a few bytes at a time, each part <paramref name="every"/> after the last.</summary>
    sealed class DrippingBody(byte[] content, TimeSpan every) : AsyncReadOnlyStream
    {
        int sent;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (sent == content.Length)
            {
                return 0;
            }
            await Task.Delay(every, cancellationToken);
            var n = Math.Min(Math.Min(buffer.Length, 8), content.Length - sent);
            content.AsMemory(sent, n).CopyTo(buffer);
            sent += n;
            return n;
        }
    }

    static BotApiTransport Dripping(TimeSpan timeout) =>
        Over(new ScriptedBotApi((_, _) => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
        {
            // 38 bytes: five parts, 150 ms apart.
            Content = new StreamContent(new DrippingBody("""{"ok":true,"result":{"message_id":5}}"""u8.ToArray(), TimeSpan.FromMilliseconds(150))),
        })), timeout);

    [Fact]
    public async Task Answer_whose_body_drips_in_longer_than_the_timeout_fails_though_no_single_part_is_late()
    {
        Assert.Equal(5, await Dripping(TimeSpan.FromSeconds(10)).SendAsync(Hello, Ct)); // the same answer, given time

        var e = await Assert.ThrowsAsync<RequestException>(() => Dripping(TimeSpan.FromMilliseconds(400)).SendAsync(Hello, Ct).WaitAsync(TimeSpan.FromSeconds(20), Ct));

        Assert.Contains("timed out", e.Message, StringComparison.Ordinal);
    }

    static (BotApiTransport Transport, StalledBody Body) Stalled(TimeSpan timeout)
    {
        var body = new StalledBody("""{"ok":true,"result":{"message_id":"""u8.ToArray());
        return (Over(new ScriptedBotApi((_, _) => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(body) })), timeout), body);
    }

    static SendMessageForId Hello => new(42, "hello", ParseMode.Html, null);

    [Fact]
    public async Task Sent_message_answer_gives_its_message_id_and_the_request_goes_to_the_methods_url()
    {
        // Telegram's answer: the whole message, with nested objects and arrays before and after the id.
        var (transport, api) = Transport(HttpStatusCode.OK, """
            {"ok":true,"result":{"chat":{"id":42,"type":"private","first_name":"Ada"},"from":{"id":1,"is_bot":true,"first_name":"Mesh"},
            "entities":[{"type":"bold","offset":0,"length":3}],"message_id":7781,"date":1700000000,"text":"Hi \"x\"",
            "reply_markup":{"inline_keyboard":[[{"text":"A","callback_data":"mn:main:1:"}]]}}}
            """);

        var id = await transport.SendAsync(Hello, Ct);

        Assert.Equal(7781, id);
        Assert.Equal(HttpMethod.Post, api.Last!.Method);
        Assert.Equal($"http://bot-api.test/bot{Token}/sendMessage", api.Last.RequestUri!.ToString());
        Assert.Equal("""{"chat_id":42,"text":"hello","parse_mode":"Html"}""", api.LastBody); // Telegram.Bot's spelling; Telegram takes any case
    }

    [Fact]
    public async Task Edit_goes_to_editMessageText_and_gives_the_edited_messages_id()
    {
        var (transport, api) = Transport(HttpStatusCode.OK, """{"ok":true,"result":{"message_id":55,"text":"edited"}}""");

        Assert.Equal(55, await transport.SendAsync(new EditMessageForId(42, 55, "edited", ParseMode.Html, null), Ct));
        Assert.EndsWith("/editMessageText", api.Last!.RequestUri!.AbsolutePath, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Too_many_requests_answer_raises_its_error_code_and_retry_after()
    {
        var (transport, _) = Transport((HttpStatusCode)429,
            """{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 35","parameters":{"retry_after":35}}""");

        var e = await Assert.ThrowsAsync<ApiRequestException>(() => transport.SendAsync(Hello, Ct));

        Assert.Equal(429, e.ErrorCode);
        Assert.Equal(35, e.Parameters?.RetryAfter);
        Assert.Equal("Too Many Requests: retry after 35", e.Message);
    }

    [Fact]
    public async Task Blocked_answer_raises_403_with_telegrams_description()
    {
        var (transport, _) = Transport(HttpStatusCode.Forbidden, """{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}""");

        var e = await Assert.ThrowsAsync<ApiRequestException>(() => transport.SendAsync(Hello, Ct));

        Assert.Equal(403, e.ErrorCode);
        Assert.Null(e.Parameters);
        Assert.Equal("Forbidden: bot was blocked by the user", e.Message);
    }

    [Fact]
    public async Task Chat_migrated_answer_carries_the_new_chat_id()
    {
        var (transport, _) = Transport(HttpStatusCode.BadRequest,
            """{"ok":false,"error_code":400,"description":"Bad Request: group chat was upgraded to a supergroup chat","parameters":{"migrate_to_chat_id":-1001234567890}}""");

        var e = await Assert.ThrowsAsync<ApiRequestException>(() => transport.SendAsync(Hello, Ct));

        Assert.Equal(400, e.ErrorCode);
        Assert.Equal(-1001234567890, e.Parameters?.MigrateToChatId);
    }

    [Fact]
    public async Task Proxy_error_page_instead_of_json_is_a_request_failure_with_its_status()
    {
        var (transport, _) = Transport(HttpStatusCode.BadGateway, "<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html");

        var e = await Assert.ThrowsAsync<RequestException>(() => transport.SendAsync(Hello, Ct));

        Assert.IsNotType<ApiRequestException>(e);
        Assert.Equal(HttpStatusCode.BadGateway, e.HttpStatusCode);
    }

    [Theory]
    [InlineData("""{"ok":true,"result":true}""")] // an inline message's edit: no message id to give
    [InlineData("""{"ok":false,"result":{"message_id":1}}""")]
    [InlineData("""{"ok":true,"result":{"message_id":1""")] // cut off
    [InlineData("[]")]
    [InlineData("")]
    public async Task Success_status_without_a_sent_message_is_a_request_failure(string body)
    {
        var (transport, _) = Transport(HttpStatusCode.OK, body);

        var e = await Assert.ThrowsAsync<RequestException>(() => transport.SendAsync(Hello, Ct));

        Assert.IsNotType<ApiRequestException>(e);
        Assert.Equal(HttpStatusCode.OK, e.HttpStatusCode);
    }

    [Fact]
    public async Task Error_status_without_telegrams_error_fields_is_a_request_failure()
    {
        var (transport, _) = Transport(HttpStatusCode.InternalServerError, """{"ok":false}""");

        var e = await Assert.ThrowsAsync<RequestException>(() => transport.SendAsync(Hello, Ct));

        Assert.IsNotType<ApiRequestException>(e);
        Assert.Equal(HttpStatusCode.InternalServerError, e.HttpStatusCode);
    }

    [Fact]
    public async Task Answer_longer_than_its_buffer_is_read_whole()
    {
        var text = new string('ж', 20_000); // 40,000 bytes of UTF-8 before the id: past the first buffer several times
        var (transport, _) = Transport(HttpStatusCode.OK, $$$"""{"ok":true,"result":{"text":"{{{text}}}","message_id":901}}""");

        Assert.Equal(901, await transport.SendAsync(Hello, Ct));
    }

    [Fact]
    public async Task Answer_over_a_mebibyte_is_refused()
    {
        var (transport, _) = Transport(HttpStatusCode.OK, $$$"""{"ok":true,"result":{"text":"{{{new string('a', 1_100_000)}}}","message_id":1}}""");

        var e = await Assert.ThrowsAsync<RequestException>(() => transport.SendAsync(Hello, Ct));

        Assert.Contains("too large", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Network_failure_is_a_request_failure_whose_message_does_not_carry_the_token()
    {
        // The way SocketsHttpHandler words some of its failures: with the request's address, which holds the token.
        var transport = Over(new ScriptedBotApi((request, _) => throw new HttpRequestException($"An error occurred while sending the request to {request.RequestUri}.")));

        var e = await Assert.ThrowsAsync<RequestException>(() => transport.SendAsync(Hello, Ct));

        Assert.IsNotType<ApiRequestException>(e);
        Assert.IsType<HttpRequestException>(e.InnerException);
        Assert.DoesNotContain(Token, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Answer_whose_message_has_no_id_still_counts_as_sent()
    {
        // Sent all the same: failing here would make the sender send the message again.
        var (transport, _) = Transport(HttpStatusCode.OK, """{"ok":true,"result":{"text":"no id"}}""");

        Assert.Equal(0, await transport.SendAsync(Hello, Ct));
    }

    [Fact]
    public async Task Answer_with_a_byte_order_mark_and_numbers_written_as_strings_is_read_as_telegram_bot_reads_it()
    {
        var api = new ScriptedBotApi((_, _) => Task.FromResult(new HttpResponseMessage((HttpStatusCode)429)
        {
            Content = new ByteArrayContent([0xEF, 0xBB, 0xBF, .. """{"ok":false,"error_code":"429","description":"Too Many Requests: retry after 3","parameters":{"retry_after":"3"}}"""u8]),
        }));

        var e = await Assert.ThrowsAsync<ApiRequestException>(() => Over(api).SendAsync(Hello, Ct));

        Assert.Equal(429, e.ErrorCode);
        Assert.Equal(3, e.Parameters?.RetryAfter);
    }

    [Theory]
    [InlineData(HttpStatusCode.BadRequest, """{"ok":false,"error_code":400,"description":"Bad Request: message is not modified: specified new message content and reply markup are exactly the same"}""", 400)]
    [InlineData(HttpStatusCode.InternalServerError, """{"ok":false,"error_code":500,"description":"Internal Server Error"}""", 500)]
    [InlineData(HttpStatusCode.BadRequest, """{"ok":false,"error_code":400,"description":"Bad Request: chat not found","parameters":[1]}""", 400)]
    public async Task Telegrams_error_answer_raises_its_code_and_description(HttpStatusCode status, string body, int code)
    {
        var (transport, _) = Transport(status, body);

        var e = await Assert.ThrowsAsync<ApiRequestException>(() => transport.SendAsync(Hello, Ct));

        Assert.Equal(code, e.ErrorCode);
        Assert.StartsWith(code == 500 ? "Internal" : "Bad Request: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Answer_that_is_not_utf8_is_a_request_failure()
    {
        var api = new ScriptedBotApi((_, _) => Task.FromResult(new HttpResponseMessage(HttpStatusCode.Forbidden)
        {
            Content = new ByteArrayContent([.. """{"ok":false,"error_code":403,"description":"Forbidden """u8, 0xFF, 0xFE, .. "\"}"u8]),
        }));

        var e = await Assert.ThrowsAsync<RequestException>(() => Over(api).SendAsync(Hello, Ct));

        Assert.IsNotType<ApiRequestException>(e);
        Assert.Equal(HttpStatusCode.Forbidden, e.HttpStatusCode);
    }

    [Fact]
    public async Task Answer_slower_than_the_timeout_is_a_request_failure_not_a_cancellation()
    {
        var transport = Over(new ScriptedBotApi(async (_, ct) =>
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            return new HttpResponseMessage(HttpStatusCode.OK);
        }), timeout: TimeSpan.FromMilliseconds(200));

        var e = await Assert.ThrowsAsync<RequestException>(() => transport.SendAsync(Hello, Ct));

        Assert.Contains("timed out", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Answer_whose_body_stalls_after_its_headers_fails_after_the_timeout_and_the_connection_is_let_go()
    {
        var (transport, body) = Stalled(TimeSpan.FromMilliseconds(300));
        var elapsed = System.Diagnostics.Stopwatch.StartNew();

        // Bounded here too: a transport that waited for the stalled body would hang the test otherwise.
        var e = await Assert.ThrowsAsync<RequestException>(() => transport.SendAsync(Hello, Ct).WaitAsync(TimeSpan.FromSeconds(20), Ct));

        Assert.Contains("timed out", e.Message, StringComparison.Ordinal);
        Assert.InRange(elapsed.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(10));
        Assert.True(body.Disposed, "the stalled answer was not disposed of");
    }

    [Fact]
    public async Task Send_cancelled_by_its_caller_while_the_body_stalls_is_cancelled()
    {
        var (transport, _) = Stalled(TimeSpan.FromSeconds(30));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        stop.CancelAfter(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => transport.SendAsync(Hello, stop.Token));
    }

    [Fact]
    public async Task Cancelled_send_is_cancelled_not_a_request_failure()
    {
        var (transport, _) = Transport(HttpStatusCode.OK, """{"ok":true,"result":{"message_id":1}}""");
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => transport.SendAsync(Hello, cancelled.Token));
    }
}
