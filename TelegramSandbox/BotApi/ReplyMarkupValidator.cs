using System.Text;
using System.Text.Json.Nodes;

namespace Mesh.TelegramSandbox.BotApi;

/// <summary>Checks reply_markup the way Telegram refuses it: buttons' texts, callback_data of 1–64 bytes, URLs, the number of buttons.</summary>
public static class ReplyMarkupValidator
{
    /// <summary>
    /// The most buttons an inline keyboard may have. Telegram does not document a limit; past it Telegram answers
    /// "reply markup is too long", and the limit commonly reported is 100 inline buttons
    /// (github.com/tginfo/Telegram-Limits/issues/228, github.com/eternnoir/pyTelegramBotAPI/issues/511). Telegram
    /// also refuses a markup too large in bytes (reported at about 10 kB), which the sandbox does not check.
    /// </summary>
    public const int MaxInlineButtons = 100;

    private static readonly string[] InlineActions =
    [
        "callback_data", "url", "web_app", "login_url", "switch_inline_query", "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat", "copy_text", "callback_game", "pay",
    ];

    public static void Validate(JsonObject? markup)
    {
        if (markup is null) return;
        if (markup["inline_keyboard"] is { } inline) ValidateInline(inline);
        else if (markup["keyboard"] is { } keyboard) ValidateKeyboard(keyboard);
        else if (markup["remove_keyboard"] is null && markup["force_reply"] is null)
            throw BotApiException.BadRequest("can't parse reply keyboard markup JSON object");
    }

    /// <summary>
    /// What a markup may hold in <paramref name="chat"/>: a web_app button only in a private chat with the bot (Telegram
    /// answers BUTTON_TYPE_INVALID in a group, a supergroup or a channel).
    /// </summary>
    public static void ValidateFor(Bots.SandboxChat chat, JsonObject? markup)
    {
        if (chat.IsGroup && markup?["inline_keyboard"] is JsonArray rows
            && rows.Any(row => row is JsonArray buttons && buttons.Any(button => button?["web_app"] is not null)))
            throw BotApiException.BadRequest("BUTTON_TYPE_INVALID");
    }

    private static void ValidateInline(JsonNode inline)
    {
        if (inline is not JsonArray rows) throw BotApiException.BadRequest("can't parse inline keyboard button: InlineKeyboardButton must be an Object");
        var count = 0;
        foreach (var row in rows)
        {
            count += row is JsonArray r ? r.Count : 0;
            if (row is not JsonArray buttons) throw BotApiException.BadRequest("can't parse inline keyboard button: Field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array of Arrays");
            foreach (var node in buttons)
            {
                if (node is not JsonObject button) throw BotApiException.BadRequest("can't parse inline keyboard button: InlineKeyboardButton must be an Object");
                if (button["text"]?.GetValue<string>() is not { Length: > 0 }) throw BotApiException.BadRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard");
                var actions = InlineActions.Count(a => button[a] is not null);
                if (actions == 0) throw BotApiException.BadRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard");
                // InlineKeyboardButton.callback_data: "Data to be sent in a callback query to the bot when the button is
                // pressed, 1-64 bytes" (core.telegram.org/bots/api#inlinekeyboardbutton): UTF-8 bytes, not characters.
                if (button["callback_data"] is { } data)
                {
                    var bytes = Encoding.UTF8.GetByteCount(data.ToString());
                    if (bytes is < 1 or > 64) throw BotApiException.BadRequest("BUTTON_DATA_INVALID");
                }
                // http(s) and tg:// links only (file:, javascript: and a bare path are refused).
                if (button["url"] is { } url && !(Uri.TryCreate(url.ToString(), UriKind.Absolute, out var link) && link.Scheme is "http" or "https" or "tg"))
                    throw BotApiException.BadRequest("BUTTON_URL_INVALID");
            }
        }
        if (count > MaxInlineButtons) throw BotApiException.BadRequest("reply markup is too long");
    }

    private static void ValidateKeyboard(JsonNode keyboard)
    {
        if (keyboard is not JsonArray rows) throw BotApiException.BadRequest("can't parse reply keyboard markup JSON object");
        foreach (var row in rows)
        {
            if (row is not JsonArray buttons) throw BotApiException.BadRequest("can't parse reply keyboard markup JSON object");
            foreach (var button in buttons)
            {
                var text = button is JsonObject o ? o["text"]?.ToString() : button?.ToString();
                if (string.IsNullOrEmpty(text)) throw BotApiException.BadRequest("can't parse keyboard button: Field \"text\" must be of type String");
            }
        }
    }
}
