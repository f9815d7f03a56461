using System.Text.Json.Nodes;
using Mesh.TelegramSandbox.Bots;

namespace Mesh.TelegramSandbox.BotApi;

/// <summary>The sandbox's objects in Telegram's JSON shapes.</summary>
public static class TelegramJson
{
    public static JsonObject BotUser(SandboxBot bot) => new()
    {
        ["id"] = bot.Id,
        ["is_bot"] = true,
        ["first_name"] = bot.FirstName,
        ["username"] = bot.Username,
    };

    public static JsonObject User(SandboxUserProfile user)
    {
        var json = new JsonObject { ["id"] = user.Id, ["is_bot"] = false, ["first_name"] = user.FirstName };
        if (user.LastName is not null) json["last_name"] = user.LastName;
        if (user.Username is not null) json["username"] = user.Username;
        if (user.LanguageCode is not null) json["language_code"] = user.LanguageCode;
        return json;
    }

    public static JsonObject Chat(SandboxChat chat)
    {
        if (chat.IsGroup) return new JsonObject { ["id"] = chat.Id, ["type"] = chat.Type, ["title"] = chat.Title };
        var json = new JsonObject { ["id"] = chat.Id, ["type"] = "private", ["first_name"] = chat.User.FirstName };
        if (chat.User.LastName is not null) json["last_name"] = chat.User.LastName;
        if (chat.User.Username is not null) json["username"] = chat.User.Username;
        return json;
    }

    public static JsonObject Message(SandboxBot bot, SandboxChat chat, SandboxMessage message, bool withReply = true)
    {
        var json = new JsonObject
        {
            ["message_id"] = message.MessageId,
            ["from"] = message.FromBot ? BotUser(bot) : User(chat.AuthorOf(message)),
            ["chat"] = Chat(chat),
            ["date"] = message.Date,
        };
        if (message.EditDate is { } editDate) json["edit_date"] = editDate;
        if (withReply && message.ReplyToMessageId is { } replyTo && chat.Find(replyTo) is { Deleted: false } original)
            json["reply_to_message"] = Message(bot, chat, original, withReply: false);
        if (message.Invoice is not null) json["invoice"] = message.Invoice.DeepClone();
        else if (message.SuccessfulPayment is not null) json["successful_payment"] = message.SuccessfulPayment.DeepClone();
        else
        {
            json["text"] = message.Text;
            if (message.Entities is { Count: > 0 }) json["entities"] = message.Entities.DeepClone();
        }
        // Telegram returns only inline keyboards as a message's reply_markup.
        if (message.HasInlineKeyboard) json["reply_markup"] = new JsonObject { ["inline_keyboard"] = message.ReplyMarkup!["inline_keyboard"]!.DeepClone() };
        return json;
    }
}
