using System.Text.Json.Nodes;
using Mesh.TelegramSandbox.BotApi;
using Mesh.TelegramSandbox.Bots;
using Mesh.TelegramSandbox.Client;
using Microsoft.Extensions.Options;

namespace Mesh.TelegramSandbox.Control;

/// <summary>
/// What a user does in a private chat with a bot, or as a member of a group the bot is in, turned into the updates
/// Telegram would send. In a group, privacy mode keeps most messages from the bot (<see cref="PrivacyMode"/>); button
/// presses reach it whoever presses.
/// </summary>
public sealed class UserActions(TimeProvider clock, IOptions<SandboxOptions> options)
{
    private long Now => clock.GetUtcNow().ToUnixTimeSeconds();

    /// <summary>
    /// A group of the request's members with the bot in it, added by the first member: the bot gets a
    /// <c>my_chat_member</c> (left → member) from them, as Telegram sends it.
    /// </summary>
    public SandboxChatSummary CreateGroup(SandboxBot bot, CreateGroupRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.Title)) throw new ControlException(400, "title is empty");
        if (request.Title.Length > MaxTitleLength) throw new ControlException(400, "title is too long");
        if (request.Members is not { Count: > 0 }) throw new ControlException(400, "a group needs at least one member");
        foreach (var member in request.Members) CheckUser(member);
        if (request.Members.DistinctBy(m => m.Id).Count() != request.Members.Count) throw new ControlException(400, "a member is given twice");
        lock (bot.Sync)
        {
            var chat = new SandboxChat(bot.NextGroupId(request.Supergroup), request.Supergroup ? SandboxChat.Supergroup : SandboxChat.Group,
                request.Title, [.. request.Members.Select(Profile)]);
            bot.Chats[chat.Id] = chat;
            bot.ChatsChanged.Pulse();
            bot.Enqueue("my_chat_member", chat.Id, MemberChange(bot, chat, chat.User, "left", "member"), clock.GetUtcNow());
            return ChatSnapshot.Summary(chat);
        }
    }

    /// <summary>
    /// The user writes in their private chat with the bot (opened by their first message), or in the group
    /// <paramref name="chatId"/> they are a member of, where the bot gets the message only as privacy mode allows.
    /// </summary>
    public SentUserMessage SendText(SandboxBot bot, SandboxUser user, string text, int? replyTo, long? chatId = null)
    {
        CheckText(text);
        lock (bot.Sync)
        {
            var chat = IsPrivate(user, chatId) ? Open(bot, user) : GroupOf(bot, user, chatId!.Value);
            var author = Acting(chat, user);
            if (chat.Blocked) SetBlockedLocked(bot, chat, blocked: false);
            var message = new SandboxMessage
            {
                MessageId = chat.NextMessageId(),
                Date = Now,
                FromBot = false,
                From = chat.IsGroup ? author : null,
                Text = text,
                Entities = CommandEntity(text),
                ReplyToMessageId = replyTo is { } id && chat.Find(id) is { Deleted: false } ? id : null,
            };
            chat.Messages.Add(message);
            if (chat.ReplyKeyboard?["one_time_keyboard"] is JsonValue once && once.TryGetValue<bool>(out var hide) && hide) chat.ReplyKeyboard = null;
            var update = PrivacyMode.Delivers(bot, chat, message)
                ? bot.Enqueue("message", chat.Id, TelegramJson.Message(bot, chat, message), clock.GetUtcNow())
                : null;
            chat.Changed.Pulse();
            return new SentUserMessage(chat.Id, message.MessageId, update?.UpdateId);
        }
    }

    /// <summary>
    /// The user edits the text of a message of theirs, as in Telegram: the message keeps its id, takes the new text and
    /// an edit date, and the bot gets an <c>edited_message</c> update with the whole message as it now is. An edit that
    /// changes nothing is refused (Telegram's app does not send one). In a group, only its author edits a message, and
    /// the bot gets the edit as privacy mode allows the message as it now is.
    /// </summary>
    public SentUserMessage EditText(SandboxBot bot, SandboxUser user, int messageId, string text, long? chatId = null)
    {
        CheckText(text);
        lock (bot.Sync)
        {
            var chat = IsPrivate(user, chatId) ? bot.Chats.GetValueOrDefault(user.Id) ?? throw new ControlException(404, "chat not found")
                : GroupOf(bot, user, chatId!.Value);
            var message = chat.Find(messageId);
            if (message is null || message.Deleted || message.FromBot || message.Invoice is not null || message.SuccessfulPayment is not null
                || (chat.IsGroup && message.From?.Id != user.Id))
                throw new ControlException(404, "message of the user not found");
            if (message.Text == text) throw new ControlException(400, "message is not modified");
            Acting(chat, user);
            message.Text = text;
            message.Entities = CommandEntity(text);
            message.EditDate = Math.Max(Now, message.Date);
            var update = PrivacyMode.Delivers(bot, chat, message)
                ? bot.Enqueue("edited_message", chat.Id, TelegramJson.Message(bot, chat, message), clock.GetUtcNow())
                : null;
            chat.Changed.Pulse();
            return new SentUserMessage(chat.Id, message.MessageId, update?.UpdateId);
        }
    }

    /// <summary>
    /// The user <paramref name="userId"/> deletes their message in chat <paramref name="chatId"/>: their private chat, or
    /// a group of theirs (a member, their own messages). Telegram tells the bot nothing; a message of the bot's that replied to it no longer carries it
    /// (<c>reply_to_message</c>), and a new reply to it is refused unless sent without one.
    /// </summary>
    public void DeleteMessage(SandboxBot bot, long chatId, long userId, int messageId)
    {
        lock (bot.Sync)
        {
            var chat = bot.Chats.GetValueOrDefault(chatId) ?? throw new ControlException(404, "chat not found");
            if (chat.IsGroup ? !chat.Members.ContainsKey(userId) : chat.User.Id != userId)
                throw new ControlException(403, "the user is not in this chat");
            var message = chat.Find(messageId);
            if (message is null || message.Deleted || message.FromBot || (chat.IsGroup && message.From?.Id != userId))
                throw new ControlException(404, "message of the user not found");
            message.Deleted = true;
            chat.Changed.Pulse();
        }
    }

    /// <summary>
    /// The user presses a button of the bot's message in their private chat, or in the group <paramref name="chatId"/>:
    /// any member can press any button there, and the callback query comes from who pressed.
    /// </summary>
    public PressedButton PressButton(SandboxBot bot, SandboxUser user, int messageId, string? callbackData, string? text, long? chatId = null)
    {
        lock (bot.Sync)
        {
            var chat = IsPrivate(user, chatId) ? bot.Chats.GetValueOrDefault(user.Id) ?? throw new ControlException(404, "chat not found")
                : GroupOf(bot, user, chatId!.Value);
            var message = chat.Find(messageId);
            if (message is null || message.Deleted || !message.FromBot || !message.HasInlineKeyboard)
                throw new ControlException(404, "message with an inline keyboard not found");
            var buttons = message.ReplyMarkup!["inline_keyboard"]!.AsArray().SelectMany(row => row!.AsArray()).OfType<JsonObject>().ToList();
            var button = buttons.FirstOrDefault(b => callbackData is not null && b["callback_data"]?.ToString() == callbackData)
                ?? buttons.FirstOrDefault(b => text is not null && b["text"]?.ToString() == text)
                ?? throw new ControlException(404, "button not found");
            var data = button["callback_data"]?.ToString() ?? throw new ControlException(400, "the button has no callback_data");
            var presser = Acting(chat, user);

            var id = bot.NextCallbackQueryId();
            var now = clock.GetUtcNow();
            bot.CallbackQueries.Add(new CallbackQueryRecord
            {
                Id = id, ChatId = chat.Id, MessageId = messageId, Data = data, AnswerBy = now + options.Value.CallbackQueryTimeout,
            }, now);
            var payload = new JsonObject
            {
                ["id"] = id,
                ["from"] = TelegramJson.User(presser),
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
            if (chat.IsGroup) throw new ControlException(400, "only a private chat's user blocks the bot");
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

    /// <summary>Telegram's longest group title.</summary>
    private const int MaxTitleLength = 128;

    /// <summary>Whether the user acts in their private chat: no chat named, or their own.</summary>
    private static bool IsPrivate(SandboxUser user, long? chatId) => chatId is null || chatId == user.Id;

    /// <summary>Call under the bot's lock: the group <paramref name="chatId"/>, of which the user is a member.</summary>
    private static SandboxChat GroupOf(SandboxBot bot, SandboxUser user, long chatId)
    {
        if (bot.Chats.GetValueOrDefault(chatId) is not { IsGroup: true } group)
            throw new ControlException(404, chatId > 0 ? "a user acts in their own private chat or a group" : "group not found");
        if (!group.Members.ContainsKey(user.Id)) throw new ControlException(403, "the user is not a member of the group");
        return group;
    }

    /// <summary>Call under the bot's lock: the user as they act now (a new name, a new language), kept as the chat's user or as a group's member.</summary>
    private static SandboxUserProfile Acting(SandboxChat chat, SandboxUser user)
    {
        var profile = Profile(user);
        if (chat.IsGroup) chat.Members[user.Id] = profile;
        else chat.User = profile;
        return profile;
    }

    private static void CheckUser(SandboxUser user)
    {
        if (user.Id <= 0) throw new ControlException(400, "user id must be positive");
        if (string.IsNullOrWhiteSpace(user.FirstName)) throw new ControlException(400, "first name is empty");
    }

    /// <summary>Call under the bot's lock: a chat opens when the user first writes to the bot.</summary>
    private SandboxChat Open(SandboxBot bot, SandboxUser user)
    {
        CheckUser(user);
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
        var payload = MemberChange(bot, chat, chat.User, blocked ? "member" : "kicked", blocked ? "kicked" : "member");
        bot.Enqueue("my_chat_member", chat.Id, payload, clock.GetUtcNow());
        chat.Changed.Pulse();
    }

    /// <summary>A <c>my_chat_member</c>: <paramref name="from"/> changed the bot's status in the chat.</summary>
    private JsonObject MemberChange(SandboxBot bot, SandboxChat chat, SandboxUserProfile from, string oldStatus, string newStatus)
    {
        var botUser = TelegramJson.BotUser(bot);
        JsonObject Member(string status) => status == "kicked"
            ? new JsonObject { ["status"] = status, ["user"] = botUser.DeepClone(), ["until_date"] = 0 }
            : new JsonObject { ["status"] = status, ["user"] = botUser.DeepClone() };
        return new JsonObject
        {
            ["chat"] = TelegramJson.Chat(chat),
            ["from"] = TelegramJson.User(from),
            ["date"] = Now,
            ["old_chat_member"] = Member(oldStatus),
            ["new_chat_member"] = Member(newStatus),
        };
    }

    /// <summary>A text a user can send, or have a message of theirs edited to: not empty, within Telegram's limit.</summary>
    private static void CheckText(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new ControlException(400, "text is empty");
        if (text.Length > MessageMethods.MaxTextLength) throw new ControlException(400, "text is too long");
    }

    /// <summary>A leading <c>/command</c> (optionally <c>@bot</c>) is a bot_command entity, as Telegram marks it.</summary>
    private static JsonArray? CommandEntity(string text)
    {
        if (!text.StartsWith('/') || text.Length < 2) return null;
        var end = text.IndexOfAny([' ', '\n', '\t']);
        var length = end < 0 ? text.Length : end;
        return [new JsonObject { ["type"] = "bot_command", ["offset"] = 0, ["length"] = length }];
    }
}
