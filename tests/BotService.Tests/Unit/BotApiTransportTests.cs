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
        var options = Options.Create(new TelegramOptions { BotToken = Token, ApiBaseUrl = "http://bot-api.test/" });
        return (new BotApiTransport(new HttpClient(api), options), api);
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
    [InlineData("""{"ok":true,"result":{"text":"no id"}}""")]
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
    public async Task Unreachable_api_is_a_request_failure_whose_message_does_not_carry_the_token()
    {
        var options = Options.Create(new TelegramOptions { BotToken = Token, ApiBaseUrl = "http://127.0.0.1:1" });
        var transport = new BotApiTransport(new HttpClient(), options);

        var e = await Assert.ThrowsAsync<RequestException>(() => transport.SendAsync(Hello, Ct));

        Assert.IsNotType<ApiRequestException>(e);
        Assert.DoesNotContain(Token, e.Message, StringComparison.Ordinal);
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
