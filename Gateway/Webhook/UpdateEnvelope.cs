using System.Buffers;
using System.Text.Json;

namespace Mesh.Gateway.Webhook;

/// <summary>
/// The two things the gateway needs from an update, read with one forward pass of <see cref="Utf8JsonReader"/> (which
/// also proves the JSON well-formed) and no object built: <c>update_id</c>, and the chat id — the first <c>chat.id</c>
/// found (message, edited message, callback query's message, …), else the first <c>from.id</c>, else 0.
/// </summary>
public readonly record struct UpdateEnvelope(long UpdateId, long ChatId)
{
    public static bool TryRead(ReadOnlySequence<byte> json, out UpdateEnvelope envelope)
    {
        envelope = default;
        long? updateId = null;
        long? chatId = null;
        long? fromId = null;
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            int chatDepth = -1, fromDepth = -1;
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName)
                {
                    var depth = reader.CurrentDepth;
                    if (depth == 1 && reader.ValueTextEquals("update_id"u8))
                    {
                        reader.Read();
                        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var id))
                        {
                            return false;
                        }
                        updateId = id;
                    }
                    else if (chatId is null && chatDepth < 0 && reader.ValueTextEquals("chat"u8))
                    {
                        reader.Read();
                        chatDepth = reader.TokenType == JsonTokenType.StartObject ? depth : -1;
                    }
                    else if (fromId is null && fromDepth < 0 && reader.ValueTextEquals("from"u8))
                    {
                        reader.Read();
                        fromDepth = reader.TokenType == JsonTokenType.StartObject ? depth : -1;
                    }
                    else if (reader.ValueTextEquals("id"u8) && (depth == chatDepth + 1 || depth == fromDepth + 1))
                    {
                        var isChat = depth == chatDepth + 1;
                        reader.Read();
                        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var id))
                        {
                            if (isChat) { chatId ??= id; } else { fromId ??= id; }
                        }
                    }
                }
                else if (reader.TokenType == JsonTokenType.EndObject)
                {
                    // Leaving the chat or from object: stop matching its depth.
                    if (reader.CurrentDepth == chatDepth) { chatDepth = -1; }
                    if (reader.CurrentDepth == fromDepth) { fromDepth = -1; }
                }
            }
        }
        catch (JsonException)
        {
            return false;
        }
        if (updateId is not > 0)
        {
            return false;
        }
        envelope = new UpdateEnvelope(updateId.Value, chatId ?? fromId ?? 0);
        return true;
    }
}
