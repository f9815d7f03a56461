using System.Text.Json.Nodes;
using Mesh.TelegramSandbox.BotApi;
using Mesh.TelegramSandbox.Bots;
using Mesh.TelegramSandbox.Client;
using Microsoft.Extensions.Options;

namespace Mesh.TelegramSandbox.Control;

/// <summary>What a user does in a private chat with a bot, turned into the updates Telegram would send.</summary>
public sealed class UserActions(TimeProvider clock, IOptions<SandboxOptions> options)
{
    private long Now => clock.GetUtcNow().ToUnixTimeSeconds();

    public SentUserMessage SendText(SandboxBot bot, SandboxUser user, string text, int? replyTo)
    {
        CheckText(text);
        lock (bot.Sync)
        {
            var chat = Open(bot, user);
            if (chat.Blocked) SetBlockedLocked(bot, chat, blocked: false);
            var message = new SandboxMessage
            {
                MessageId = chat.NextMessageId(),
                Date = Now,
                FromBot = false,
                Text = text,
                Entities = CommandEntity(text),
                ReplyToMessageId = replyTo is { } id && chat.Find(id) is { Deleted: false } ? id : null,
            };
            chat.Messages.Add(message);
            if (chat.ReplyKeyboard?["one_time_keyboard"] is JsonValue once && once.TryGetValue<bool>(out var hide) && hide) chat.ReplyKeyboard = null;
            var update = bot.Enqueue("message", chat.Id, TelegramJson.Message(bot, chat, message), clock.GetUtcNow());
            chat.Changed.Pulse();
            return new SentUserMessage(chat.Id, message.MessageId, update?.UpdateId);
        }
    }

    /// <summary>
    /// The user edits the text of a message of theirs, as in Telegram: the message keeps its id, takes the new text and
    /// an edit date, and the bot gets an <c>edited_message</c> update with the whole message as it now is. An edit that
    /// changes nothing is refused (Telegram's app does not send one).
    /// </summary>
    public SentUserMessage EditText(SandboxBot bot, SandboxUser user, int messageId, string text)
    {
        CheckText(text);
        lock (bot.Sync)
        {
            var chat = bot.Chats.GetValueOrDefault(user.Id) ?? throw new ControlException(404, "chat not found");
            var message = chat.Find(messageId);
            if (message is null || message.Deleted || message.FromBot || message.Invoice is not null || message.SuccessfulPayment is not null)
                throw new ControlException(404, "message of the user not found");
            if (message.Text == text) throw new ControlException(400, "message is not modified");
            chat.User = Profile(user);
            message.Text = text;
            message.Entities = CommandEntity(text);
            message.EditDate = Math.Max(Now, message.Date);
            var update = bot.Enqueue("edited_message", chat.Id, TelegramJson.Message(bot, chat, message), clock.GetUtcNow());
            chat.Changed.Pulse();
            return new SentUserMessage(chat.Id, message.MessageId, update?.UpdateId);
        }
    }

    public PressedButton PressButton(SandboxBot bot, SandboxUser user, int messageId, string? callbackData, string? text)
    {
        lock (bot.Sync)
        {
            var chat = bot.Chats.GetValueOrDefault(user.Id) ?? throw new ControlException(404, "chat not found");
            var message = chat.Find(messageId);
            if (message is null || message.Deleted || !message.FromBot || !message.HasInlineKeyboard)
                throw new ControlException(404, "message with an inline keyboard not found");
            var buttons = message.ReplyMarkup!["inline_keyboard"]!.AsArray().SelectMany(row => row!.AsArray()).OfType<JsonObject>().ToList();
            var button = buttons.FirstOrDefault(b => callbackData is not null && b["callback_data"]?.ToString() == callbackData)
                ?? buttons.FirstOrDefault(b => text is not null && b["text"]?.ToString() == text)
                ?? throw new ControlException(404, "button not found");
            var data = button["callback_data"]?.ToString() ?? throw new ControlException(400, "the button has no callback_data");
            chat.User = Profile(user);

            var id = bot.NextCallbackQueryId();
            var now = clock.GetUtcNow();
            bot.CallbackQueries.Add(new CallbackQueryRecord
            {
                Id = id, ChatId = chat.Id, MessageId = messageId, Data = data, AnswerBy = now + options.Value.CallbackQueryTimeout,
            }, now);
            var payload = new JsonObject
            {
                ["id"] = id,
                ["from"] = TelegramJson.User(chat.User),
                ["message"] = TelegramJson.Message(bot, chat, message),
                ["chat_instance"] = ((bot.Id * 31) ^ chat.Id).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["data"] = data,
            };
            var update = bot.Enqueue("callback_query", chat.Id, payload, clock.GetUtcNow());
            chat.Changed.Pulse();
            return new PressedButton(chat.Id, id, update?.UpdateId);
        }
    }

    public void SetBlocked(SandboxBot bot, long chatId, bool blocked)
    {
        lock (bot.Sync)
        {
            var chat = bot.Chats.GetValueOrDefault(chatId) ?? throw new ControlException(404, "chat not found");
            if (chat.Blocked != blocked) SetBlockedLocked(bot, chat, blocked);
        }
    }

    public PayInvoiceResult PayInvoice(SandboxBot bot, SandboxUser user, int messageId)
    {
        lock (bot.Sync)
        {
            var chat = bot.Chats.GetValueOrDefault(user.Id) ?? throw new ControlException(404, "chat not found");
            var message = chat.Find(messageId);
            if (message?.Invoice is not { } invoice || message.Deleted) throw new ControlException(404, "invoice not found");
            var id = bot.NextCallbackQueryId();
            var record = new PreCheckoutRecord
            {
                Id = id,
                ChatId = chat.Id,
                InvoiceMessageId = messageId,
                Currency = invoice["currency"]!.ToString(),
                TotalAmount = invoice["total_amount"]!.GetValue<long>(),
                Payload = message.InvoicePayload ?? "",
                AnswerBy = clock.GetUtcNow() + options.Value.PreCheckoutQueryTimeout,
            };
            bot.PreCheckoutQueries[id] = record;
            var payload = new JsonObject
            {
                ["id"] = id,
                ["from"] = TelegramJson.User(chat.User),
                ["currency"] = record.Currency,
                ["total_amount"] = record.TotalAmount,
                ["invoice_payload"] = record.Payload,
            };
            var update = bot.Enqueue("pre_checkout_query", chat.Id, payload, clock.GetUtcNow());
            return new PayInvoiceResult(chat.Id, id, update?.UpdateId);
        }
    }

    /// <summary>Call under the bot's lock: a chat opens when the user first writes to the bot.</summary>
    private SandboxChat Open(SandboxBot bot, SandboxUser user)
    {
        if (user.Id <= 0) throw new ControlException(400, "user id must be positive");
        if (string.IsNullOrWhiteSpace(user.FirstName)) throw new ControlException(400, "first name is empty");
        if (bot.Chats.TryGetValue(user.Id, out var chat))
        {
            chat.User = Profile(user);
            return chat;
        }
        chat = new SandboxChat(user.Id, Profile(user));
        bot.Chats[user.Id] = chat;
        bot.ChatsChanged.Pulse();
        return chat;
    }

    private static SandboxUserProfile Profile(SandboxUser user) =>
        new(user.Id, user.FirstName, user.LastName, user.Username, string.IsNullOrEmpty(user.LanguageCode) ? null : user.LanguageCode);

    private void SetBlockedLocked(SandboxBot bot, SandboxChat chat, bool blocked)
    {
        chat.Blocked = blocked;
        var botUser = TelegramJson.BotUser(bot);
        JsonObject Member(bool kicked) => kicked
            ? new JsonObject { ["status"] = "kicked", ["user"] = botUser.DeepClone(), ["until_date"] = 0 }
            : new JsonObject { ["status"] = "member", ["user"] = botUser.DeepClone() };
        var payload = new JsonObject
        {
            ["chat"] = TelegramJson.Chat(chat),
            ["from"] = TelegramJson.User(chat.User),
            ["date"] = Now,
            ["old_chat_member"] = Member(!blocked),
            ["new_chat_member"] = Member(blocked),
        };
        bot.Enqueue("my_chat_member", chat.Id, payload, clock.GetUtcNow());
        chat.Changed.Pulse();
    }

    /// <summary>A leading <c>/command</c> (optionally <c>@bot</c>) is a bot_command entity, as Telegram marks it.</summary>
    /// <summary>A text a user can send, or have a message of theirs edited to: not empty, within Telegram's limit.</summary>
    private static void CheckText(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new ControlException(400, "text is empty");
        if (text.Length > MessageMethods.MaxTextLength) throw new ControlException(400, "text is too long");
    }

    private static JsonArray? CommandEntity(string text)
    {
        if (!text.StartsWith('/') || text.Length < 2) return null;
        var end = text.IndexOfAny([' ', '\n', '\t']);
        var length = end < 0 ? text.Length : end;
        return [new JsonObject { ["type"] = "bot_command", ["offset"] = 0, ["length"] = length }];
    }
}
