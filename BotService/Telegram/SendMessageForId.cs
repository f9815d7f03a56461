using System.Buffers;
using System.Text.Json;
using Telegram.Bot;
using Telegram.Bot.Types.Enums;
using Telegram.Bot.Types.ReplyMarkups;

namespace Mesh.Bot.Telegram;

/// <summary>
/// <c>sendMessage</c> as the update path needs it: the same JSON body as Telegram.Bot's <c>SendMessageRequest</c>, sent
/// by <see cref="BotApiTransport"/>, which reads the answer for the message id only (Telegram answers with the whole
/// message: chat, sender, text, keyboard). The body is written at once into a buffer of known length: Telegram.Bot's
/// default content serializes while it is being sent, with no length, so every request went out chunked. With
/// <paramref name="replyTo"/>, a reply to that message of the chat, or a plain message when it is gone
/// (<c>reply_parameters</c> with <c>allow_sending_without_reply</c>).
/// </summary>
public sealed class SendMessageForId(long chatId, string text, ParseMode parseMode, InlineKeyboardMarkup? replyMarkup, int? replyTo = null)
    : MessageTextRequest("sendMessage", chatId, null, text, parseMode, replyMarkup, replyTo);

/// <summary>
/// <c>editMessageText</c> of a message in a chat (a menu redrawn in place), as lean as <see cref="SendMessageForId"/>:
/// the same body as Telegram.Bot's <c>EditMessageTextRequest</c>, the answer (the whole edited message) read for its id.
/// </summary>
public sealed class EditMessageForId(long chatId, int messageId, string text, ParseMode parseMode, InlineKeyboardMarkup? replyMarkup)
    : MessageTextRequest("editMessageText", chatId, messageId, text, parseMode, replyMarkup);

/// <summary>
/// A message's text and inline keyboard sent to a chat (new, or in place of <see cref="MessageId"/>) by the Bot API
/// method <see cref="MethodName"/>. Its body is written by <see cref="ToHttpContent"/>.
/// </summary>
public abstract class MessageTextRequest(string method, long chatId, int? messageId, string text, ParseMode parseMode, InlineKeyboardMarkup? replyMarkup,
    int? replyTo = null)
{
    public string MethodName { get; } = method;

    public long ChatId { get; } = chatId;

    public int? MessageId { get; } = messageId;

    public string Text { get; } = text;

    public ParseMode ParseMode { get; } = parseMode;

    public InlineKeyboardMarkup? ReplyMarkup { get; } = replyMarkup;

    /// <summary>The message of the chat this one replies to (sent all the same, as no reply, when it is gone); null: none.</summary>
    public int? ReplyTo { get; } = replyTo;

    const string JsonContentType = "application/json; charset=utf-8";

    /// <summary>
    /// The request's body, written once into a pooled buffer that goes back to the pool when the content is disposed of
    /// (the caller's request message owns it): no copy of the body per request, and no array of its own.
    /// </summary>
    public HttpContent ToHttpContent() => ToHttpContent(ArrayPool<byte>.Shared);

    /// <summary>The body in arrays of <paramref name="pool"/> (tests count what is rented and returned).</summary>
    internal HttpContent ToHttpContent(ArrayPool<byte> pool)
    {
        var body = new PooledJsonBody(pool);
        try
        {
            Write(body);
        }
        catch
        {
            body.Dispose();
            throw;
        }
        // As a string, written as it is: a parsed value is formatted anew for every request.
        body.Headers.TryAddWithoutValidation("Content-Type", JsonContentType);
        return body;
    }

    /// <summary>
    /// Text as UTF-8, escaping only what JSON requires (quotes, backslashes, control characters). Telegram.Bot's default
    /// escapes every character outside ASCII as <c>\uXXXX</c>: six bytes for each Cyrillic letter, which is two in
    /// UTF-8, so a Russian or Ukrainian reply went out about three times its size. The same JSON value either way; the
    /// "unsafe" of the name is about embedding in HTML pages, which a request body never is.
    /// </summary>
    static readonly System.Text.Encodings.Web.JavaScriptEncoder Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    // One writer per thread, reused: pointed at each request's own body.
    [ThreadStatic]
    static Utf8JsonWriter? writer;

    /// <summary>
    /// The body Telegram.Bot's serializer would write (a unit test compares them), written directly: the fields in
    /// order, and each button that is a plain callback or link button (nearly all of them) by hand; any other button
    /// (a web app, a login or copy button, a style or an icon) and the parse mode through Telegram.Bot's JSON options.
    /// The serializer's way walked the objects by their metadata, which was 4 % of the bot's CPU.
    /// </summary>
    void Write(IBufferWriter<byte> body)
    {
        var json = writer ??= new Utf8JsonWriter(body, new JsonWriterOptions { Encoder = Encoder, SkipValidation = true });
        json.Reset(body);
        json.WriteStartObject();
        json.WriteNumber("chat_id"u8, ChatId);
        if (MessageId is { } messageId)
        {
            json.WriteNumber("message_id"u8, messageId);
        }
        json.WriteString("text"u8, Text);
        if (ParseMode != default)
        {
            json.WritePropertyName("parse_mode"u8);
            JsonSerializer.Serialize(json, ParseMode, JsonBotAPI.Options);
        }
        if (ReplyTo is { } replyTo)
        {
            json.WritePropertyName("reply_parameters"u8);
            json.WriteStartObject();
            json.WriteNumber("message_id"u8, replyTo);
            json.WriteBoolean("allow_sending_without_reply"u8, true);
            json.WriteEndObject();
        }
        if (ReplyMarkup is { ForceReply: true } other)
        {
            // A markup with more than its keyboard set (force_reply): all of it through Telegram.Bot's options.
            json.WritePropertyName("reply_markup"u8);
            JsonSerializer.Serialize(json, other, JsonBotAPI.Options);
        }
        else if (ReplyMarkup is { } markup)
        {
            json.WritePropertyName("reply_markup"u8);
            json.WriteStartObject();
            json.WritePropertyName("inline_keyboard"u8);
            json.WriteStartArray();
            foreach (var row in markup.InlineKeyboard)
            {
                json.WriteStartArray();
                foreach (var button in row)
                {
                    WriteButton(json, button);
                }
                json.WriteEndArray();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndObject();
        json.Flush();
    }

    static void WriteButton(Utf8JsonWriter json, InlineKeyboardButton button)
    {
        if (!IsPlain(button))
        {
            JsonSerializer.Serialize(json, button, JsonBotAPI.Options);
            return;
        }
        json.WriteStartObject();
        json.WriteString("text"u8, button.Text);
        if (button.CallbackData is { } data)
        {
            json.WriteString("callback_data"u8, data);
        }
        else
        {
            json.WriteString("url"u8, button.Url);
        }
        json.WriteEndObject();
    }

    /// <summary>A button with a text and either callback data or a link, and nothing else set.</summary>
    static bool IsPlain(InlineKeyboardButton button) =>
        button is
        {
            LoginUrl: null, WebApp: null, SwitchInlineQuery: null, SwitchInlineQueryCurrentChat: null,
            SwitchInlineQueryChosenChat: null, CopyText: null, CallbackGame: null, Pay: false, IconCustomEmojiId: null,
        }
        && button.Style == default && button.Disabled == default && (button.CallbackData is null) != (button.Url is null);
}

/// <summary>
/// A JSON request body in an array rented from a pool: written through its <see cref="IBufferWriter{T}"/> side, sent
/// with its length, and the array returned when the content is disposed of. Sent over HTTP/1.1 without
/// <c>Expect: 100-continue</c>, the body is written whole before the answer is read, so nothing reads it once the request's
/// send has returned and its message is disposed of.
/// </summary>
sealed class PooledJsonBody(ArrayPool<byte> pool) : HttpContent, IBufferWriter<byte>
{
    const int FirstSize = 1024;

    byte[] buffer = pool.Rent(FirstSize);
    int length;

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, buffer.Length - length);
        length += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return buffer.AsMemory(length);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return buffer.AsSpan(length);
    }

    /// <summary>Room for <paramref name="sizeHint"/> more bytes (at least one): the body so far moves to a bigger rented array when needed.</summary>
    void Reserve(int sizeHint)
    {
        ObjectDisposedException.ThrowIf(buffer.Length == 0, this);
        var needed = length + Math.Max(sizeHint, 1);
        if (needed > buffer.Length)
        {
            var bigger = pool.Rent(Math.Max(needed, buffer.Length * 2));
            buffer.AsSpan(0, length).CopyTo(bigger);
            pool.Return(buffer);
            buffer = bigger;
        }
    }

    protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) =>
        stream.WriteAsync(buffer, 0, length);

    protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context, CancellationToken cancellationToken) =>
        stream.WriteAsync(buffer, 0, length, cancellationToken);

    protected override void SerializeToStream(Stream stream, System.Net.TransportContext? context, CancellationToken cancellationToken) =>
        stream.Write(buffer, 0, length);

    protected override bool TryComputeLength(out long length)
    {
        length = this.length;
        return true;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && buffer.Length > 0)
        {
            pool.Return(buffer);
            buffer = [];
        }
        base.Dispose(disposing);
    }
}
