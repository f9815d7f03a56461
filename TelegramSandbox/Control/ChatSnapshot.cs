using System.Text.Json.Nodes;
using Mesh.TelegramSandbox.Bots;
using Mesh.TelegramSandbox.Client;

namespace Mesh.TelegramSandbox.Control;

/// <summary>Copies a chat into the control API's records. Call under the bot's lock.</summary>
public static class ChatSnapshot
{
    public static SandboxChatState Of(SandboxBot bot, long chatId, long now)
    {
        if (!bot.Chats.TryGetValue(chatId, out var chat))
            return new SandboxChatState(bot.Id, chatId, 0, false, false, null, [], null, [], null, chatId < 0 ? SandboxChat.Group : SandboxChat.Private);
        return new SandboxChatState(
            bot.Id,
            chat.Id,
            chat.Changed.Version,
            true,
            chat.Blocked,
            User(chat.User),
            [.. chat.Messages.Select(m => Message(chat, m))],
            (JsonObject?)chat.ReplyKeyboard?.DeepClone(),
            [.. chat.CallbackAnswers],
            chat.ChatActionUntil > now ? chat.ChatAction : null,
            chat.Type,
            chat.Title,
            chat.IsGroup ? [.. chat.Members.Values.Select(User)] : null);
    }

    public static SandboxChatSummary Summary(SandboxChat chat) =>
        new(chat.Id, User(chat.User), chat.Blocked, chat.Messages.Count, chat.Changed.Version, chat.Type, chat.Title);

    public static SandboxBotInfo Bot(SandboxBot bot)
    {
        lock (bot.Sync) return new SandboxBotInfo(bot.Id, bot.Username, bot.FirstName, bot.Webhook?.Url, bot.Updates.Count, bot.Chats.Count);
    }

    private static SandboxUser User(SandboxUserProfile user) => new(user.Id, user.FirstName, user.LastName, user.Username, user.LanguageCode);

    private static SandboxChatMessage Message(SandboxChat chat, SandboxMessage m) => new(
        m.MessageId,
        m.FromBot,
        m.Date,
        m.Text,
        (JsonArray?)m.Entities?.DeepClone(),
        m.ParseMode,
        (JsonObject?)m.ReplyMarkup?.DeepClone(),
        m.ReplyMarkup?["inline_keyboard"] is JsonArray rows
            ? [.. rows.OfType<JsonArray>().Select(row => (IReadOnlyList<SandboxButton>)[.. row.OfType<JsonObject>().Select(Button)])]
            : null,
        m.EditDate is not null,
        m.EditDate,
        m.Deleted,
        m.ReplyToMessageId,
        (JsonObject?)m.Invoice?.DeepClone(),
        (JsonObject?)m.SuccessfulPayment?.DeepClone(),
        m.FromBot ? null : User(chat.AuthorOf(m)));

    private static SandboxButton Button(JsonObject b) =>
        new(b["text"]?.ToString() ?? "", b["callback_data"]?.ToString(), b["url"]?.ToString() ?? b["web_app"]?["url"]?.ToString());
}
