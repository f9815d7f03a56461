using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;
using Telegram.Bot;
using Telegram.Bot.Requests;
using Telegram.Bot.Types.Enums;
using Telegram.Bot.Types.ReplyMarkups;

namespace Mesh.Bot.Telegram;

/// <summary>
/// <c>sendMessage</c> as the update path needs it, sent through Telegram.Bot like any request (same JSON body as its
/// <c>SendMessageRequest</c>, same errors and <c>retry_after</c>), but whose answer is read for the message id only:
/// Telegram answers with the whole message (chat, sender, text, keyboard), and building all of it for every reply was
/// most of the bot's allocations per update. The body is serialized at once, with Telegram.Bot's own JSON options, into a
/// buffer of known length: Telegram.Bot's default content serializes while it is being sent, with no length, so every
/// request went out chunked.
/// </summary>
public sealed class SendMessageForId(long chatId, string text, ParseMode parseMode, InlineKeyboardMarkup? replyMarkup)
    : RequestBase<SentMessageId>("sendMessage")
{
    [JsonPropertyName("chat_id")]
    public long ChatId { get; } = chatId;

    [JsonPropertyName("text")]
    public string Text { get; } = text;

    [JsonPropertyName("parse_mode")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public ParseMode ParseMode { get; } = parseMode;

    [JsonPropertyName("reply_markup")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public InlineKeyboardMarkup? ReplyMarkup { get; } = replyMarkup;

    public override HttpContent ToHttpContent()
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(this, JsonBotAPI.Options));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return content;
    }
}

/// <summary>The one field of a sent message the bot keeps.</summary>
public sealed class SentMessageId
{
    [JsonPropertyName("message_id")]
    public int MessageId { get; set; }
}
