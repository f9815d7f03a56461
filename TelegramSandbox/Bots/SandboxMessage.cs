using System.Text.Json.Nodes;

namespace Mesh.TelegramSandbox.Bots;

/// <summary>One message in a chat, from the user or from the bot. Mutated only under the bot's lock.</summary>
public sealed class SandboxMessage
{
    public required int MessageId { get; init; }
    public required long Date { get; init; }
    public required bool FromBot { get; init; }
    /// <summary>The member who wrote a user's message in a group; null in a private chat (its user) and for the bot's.</summary>
    public SandboxUserProfile? From { get; init; }
    public string Text { get; set; } = "";
    public JsonArray? Entities { get; set; }
    public string? ParseMode { get; set; }
    /// <summary>The markup exactly as the bot sent it (inline or reply keyboard).</summary>
    public JsonObject? ReplyMarkup { get; set; }
    public long? EditDate { get; set; }
    public bool Deleted { get; set; }
    public int? ReplyToMessageId { get; set; }
    /// <summary>Telegram's <c>invoice</c> object when this message is an invoice.</summary>
    public JsonObject? Invoice { get; set; }
    /// <summary>The payload of an invoice, kept for the pre-checkout query.</summary>
    public string? InvoicePayload { get; set; }
    /// <summary>Telegram's <c>successful_payment</c> object when this is a service message of a payment.</summary>
    public JsonObject? SuccessfulPayment { get; set; }

    public bool HasInlineKeyboard => ReplyMarkup?["inline_keyboard"] is JsonArray;
}
