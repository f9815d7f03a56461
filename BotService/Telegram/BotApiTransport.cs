using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types;

namespace Mesh.Bot.Telegram;

/// <summary>
/// Posts the requests the bot sends most (<see cref="MessageTextRequest"/>: a reply, a menu redrawn in place) to the Bot
/// API and reads the answer for the message id alone. Every other call goes through Telegram.Bot. Its errors are
/// Telegram.Bot's, so <see cref="OutboundSender"/> handles both the same way:
/// <list type="bullet">
/// <item>an answer with <c>ok: false</c> raises <see cref="ApiRequestException"/> with its <c>error_code</c>,
/// <c>description</c> and <c>parameters</c> (<c>retry_after</c>);</item>
/// <item>a network failure, a timeout, or an answer that is not the Bot API's JSON raises <see cref="RequestException"/>
/// (with the HTTP status when there was one).</item>
/// </list>
/// Telegram.Bot does more on every call than this path needs: a linked cancellation source, the URL built as a string
/// and parsed again, the answer deserialized through a generic envelope. Here the URL of each method is parsed once
/// and the answer is read straight from the response into a pooled buffer.
/// </summary>
public sealed class BotApiTransport
{
    /// <summary>The most of an answer read: a sent message is a few KB; anything bigger is not the Bot API's answer.</summary>
    const int MaxAnswerBytes = 1 << 20;

    // Telegram.Bot's words for the same failures.
    const string TimedOut = "Bot API Request timed out";
    const string PropertiesMissing = "Required properties not found in response";

    readonly HttpClient http;

    /// <summary>The same address Telegram.Bot calls.</summary>
    readonly string baseRequestUrl;

    /// <summary>Each method's URL, parsed once.</summary>
    readonly ConcurrentDictionary<string, Uri> urls = new(StringComparer.Ordinal);

    public BotApiTransport([FromKeyedServices(TelegramClientFactory.HttpClientName)] HttpClient http, IOptions<TelegramOptions> options)
    {
        this.http = http;
        baseRequestUrl = TelegramClientFactory.ClientOptions(options.Value).BaseRequestUrl;
    }

    /// <summary>Sends <paramref name="request"/>; the id of the message sent or edited.</summary>
    public async Task<int> SendAsync(MessageTextRequest request, CancellationToken cancellationToken)
    {
        var url = urls.GetOrAdd(request.MethodName, static (method, baseUrl) => new Uri($"{baseUrl}/{method}"), baseRequestUrl);
        using var message = new HttpRequestMessage(HttpMethod.Post, url) { Content = request.ToHttpContent() };
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            // HttpClient's Timeout (the caller's own cancellation goes on as it is).
            throw new RequestException(TimedOut, e);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Only the type: a network error's message may carry the address, and the address carries the token.
            throw new RequestException($"Bot API Service Failure: {e.GetType().Name}", e);
        }
        using (response)
        {
            var rented = ArrayPool<byte>.Shared.Rent(4096);
            try
            {
                var (body, length) = await ReadAnswerAsync(response, rented, http.Timeout, cancellationToken);
                return Answer.Read(body.AsSpan(0, length), response.StatusCode);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Reads the answer's body into <paramref name="buffer"/> or, when it does not fit, into a bigger copy of it (up to
    /// <see cref="MaxAnswerBytes"/>): the array holding the body, and the body's length. The answer's headers came
    /// within HttpClient's timeout, which does not cover the body (it is read here, not buffered by HttpClient). The
    /// body is nearly always in the buffer with the headers; when a read does not complete at once, the rest of the
    /// body gets <paramref name="timeout"/> from then, so a stalled answer fails like a slow one instead of holding the chat.
    /// </summary>
    static async Task<(byte[] Body, int Length)> ReadAnswerAsync(HttpResponseMessage response, byte[] buffer, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            var target = buffer;
            var length = 0;
            long waitingSince = 0; // Stopwatch ticks of the first read that had to wait; 0: none yet
            while (true)
            {
                if (length == target.Length)
                {
                    if (target.Length >= MaxAnswerBytes)
                    {
                        throw new RequestException("The Bot API's answer is too large", response.StatusCode);
                    }
                    Array.Resize(ref target, Math.Min(target.Length * 2, MaxAnswerBytes));
                }
                var pending = body.ReadAsync(target.AsMemory(length), cancellationToken);
                int read;
                if (pending.IsCompletedSuccessfully)
                {
                    read = pending.Result;
                }
                else if (timeout == Timeout.InfiniteTimeSpan)
                {
                    read = await pending;
                }
                else
                {
                    waitingSince = waitingSince == 0 ? Stopwatch.GetTimestamp() : waitingSince;
                    var left = timeout - Stopwatch.GetElapsedTime(waitingSince);
                    read = await pending.AsTask().WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, cancellationToken);
                }
                if (read == 0)
                {
                    return (target, length);
                }
                length += read;
            }
        }
        catch (TimeoutException e)
        {
            // The read still pending ends when the caller disposes of the response.
            throw new RequestException(TimedOut, response.StatusCode, e);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is not RequestException)
        {
            throw new RequestException($"Reading the Bot API's answer failed: {e.GetType().Name}", response.StatusCode, e);
        }
    }

    /// <summary>The Bot API's answer: <c>{"ok":true,"result":{…"message_id":…}}</c> or <c>{"ok":false,"error_code":…,"description":…,"parameters":…}</c>.</summary>
    static class Answer
    {
        public static int Read(ReadOnlySpan<byte> json, HttpStatusCode status)
        {
            bool? ok = null;
            int? messageId = null;
            var errorCode = 0;
            string? description = null;
            ResponseParameters? parameters = null;
            try
            {
                // A byte order mark, which Telegram.Bot's reader skips too.
                var reader = new Utf8JsonReader(json is [0xEF, 0xBB, 0xBF, ..] ? json[3..] : json);
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                {
                    throw new RequestException("The Bot API's answer is not a JSON object", status);
                }
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("ok"u8))
                    {
                        reader.Read();
                        ok = reader.TokenType == JsonTokenType.True;
                        reader.Skip();
                    }
                    else if (reader.ValueTextEquals("result"u8))
                    {
                        reader.Read();
                        if (reader.TokenType == JsonTokenType.StartObject)
                        {
                            messageId = MessageIdOf(ref reader);
                        }
                        else
                        {
                            reader.Skip();
                        }
                    }
                    else if (reader.ValueTextEquals("error_code"u8))
                    {
                        reader.Read();
                        errorCode = Int32Of(ref reader) ?? 0;
                    }
                    else if (reader.ValueTextEquals("description"u8))
                    {
                        reader.Read();
                        description = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                        reader.Skip();
                    }
                    else if (reader.ValueTextEquals("parameters"u8))
                    {
                        reader.Read();
                        if (reader.TokenType == JsonTokenType.StartObject)
                        {
                            parameters = JsonSerializer.Deserialize<ResponseParameters>(ref reader, JsonBotAPI.Options);
                        }
                        else
                        {
                            reader.Skip();
                        }
                    }
                    else
                    {
                        reader.Read();
                        reader.Skip();
                    }
                }
            }
            catch (Exception e) when (e is not RequestException)
            {
                // Not JSON, or not UTF-8 (a description that cannot be read as a string).
                throw new RequestException("There was an exception during deserialization of the response", status, e);
            }
            if (status == HttpStatusCode.OK)
            {
                return ok == true && messageId is { } id ? id : throw new RequestException(PropertiesMissing, status);
            }
            if (errorCode == 0 || description is null)
            {
                throw new RequestException(PropertiesMissing, status);
            }
            throw new ApiRequestException(description, errorCode, parameters);
        }

        /// <summary>
        /// The <c>message_id</c> of the message object the reader is at (its start), leaving the reader at its end; 0 when
        /// it has none, as Telegram.Bot's message would (the message was sent: failing here would send it again).
        /// </summary>
        static int MessageIdOf(ref Utf8JsonReader reader)
        {
            var id = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isId = reader.ValueTextEquals("message_id"u8);
                reader.Read();
                if (isId)
                {
                    id = Int32Of(ref reader) ?? 0;
                }
                else
                {
                    reader.Skip();
                }
            }
            return id;
        }

        /// <summary>A number, or a number written as a string (Telegram.Bot's options read both); null for anything else.</summary>
        static int? Int32Of(ref Utf8JsonReader reader)
        {
            if (reader.TokenType == JsonTokenType.Number)
            {
                return reader.TryGetInt32(out var number) ? number : null;
            }
            if (reader.TokenType == JsonTokenType.String)
            {
                return System.Buffers.Text.Utf8Parser.TryParse(reader.ValueSpan, out int number, out var used) && used == reader.ValueSpan.Length && !reader.ValueIsEscaped ? number : null;
            }
            reader.Skip();
            return null;
        }
    }
}
