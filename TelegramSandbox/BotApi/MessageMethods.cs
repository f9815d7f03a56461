using System.Text.Json.Nodes;
using Mesh.TelegramSandbox.Bots;
using Mesh.TelegramSandbox.Limits;

namespace Mesh.TelegramSandbox.BotApi;

/// <summary>
/// sendMessage, editMessageText, editMessageReplyMarkup, deleteMessage, sendChatAction, answerCallbackQuery. Sends and
/// edits take from the flood limits (<see cref="SendRateLimiter"/>), as Telegram counts both; deleting, chat actions and
/// callback answers do not.
/// </summary>
public sealed class MessageMethods(SendRateLimiter limiter, TimeProvider clock) : IBotApiMethods
{
    public const int MaxTextLength = 4096;

    private static readonly HashSet<string> ChatActions =
    [
        "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice", "upload_document",
        "choose_sticker", "find_location", "record_video_note", "upload_video_note",
    ];

    public void Map(BotApiRouter router)
    {
        router.Method("sendMessage", SendMessageAsync);
        router.Method("editMessageText", EditMessageTextAsync);
        router.Method("editMessageReplyMarkup", EditMessageReplyMarkupAsync);
        router.Method("deleteMessage", DeleteMessageAsync);
        router.Method("sendChatAction", SendChatActionAsync);
        router.Method("answerCallbackQuery", AnswerCallbackQueryAsync);
    }

    private long Now => clock.GetUtcNow().ToUnixTimeSeconds();

    private ValueTask<BotApiResult> SendMessageAsync(BotApiCall call)
    {
        var (bot, args) = (call.Bot, call.Args);
        var (text, entities, parseMode) = ReadText(args);
        var markup = args.Object("reply_markup", "can't parse reply keyboard markup JSON object");
        ReplyMarkupValidator.Validate(markup);
        var replyParameters = args.Object("reply_parameters", "can't parse reply parameters JSON object");
        var replyTo = replyParameters?["message_id"]?.GetValue<int>() ?? args.Int("reply_to_message_id");
        var allowWithoutReply = replyParameters?["allow_sending_without_reply"]?.GetValue<bool>() ?? args.Bool("allow_sending_without_reply");

        lock (bot.Sync)
        {
            var chat = ChatLookup.Require(bot, args, writing: true);
            if (replyTo is { } id && chat.Find(id) is null or { Deleted: true })
            {
                if (!allowWithoutReply) throw BotApiException.BadRequest("message to be replied not found");
                replyTo = null;
            }
            ReplyMarkupValidator.ValidateFor(chat, markup);
            limiter.Take(bot.Id, chat.Id);
            entities = UserMentions.Resolve(entities, bot);

            var message = new SandboxMessage
            {
                MessageId = chat.NextMessageId(),
                Date = Now,
                FromBot = true,
                Text = text,
                Entities = entities,
                ParseMode = parseMode,
                ReplyMarkup = markup,
                ReplyToMessageId = replyTo,
            };
            chat.Messages.Add(message);
            ApplyReplyKeyboard(chat, markup);
            chat.ChatAction = null;
            chat.Changed.Pulse();
            return ValueTask.FromResult(new BotApiResult(TelegramJson.Message(bot, chat, message)));
        }
    }

    /// <summary>A reply keyboard stays on the user's screen until removed or replaced.</summary>
    private static void ApplyReplyKeyboard(SandboxChat chat, JsonObject? markup)
    {
        if (markup?["keyboard"] is not null) chat.ReplyKeyboard = (JsonObject)markup.DeepClone();
        else if (markup?["remove_keyboard"] is not null) chat.ReplyKeyboard = null;
    }

    /// <summary>
    /// The text and its entities as Telegram stores them. sendMessage's and editMessageText's text is "1-4096 characters
    /// after entities parsing" (core.telegram.org/bots/api#sendmessage): the markup is parsed first (HTML tags are no
    /// characters, &amp;lt; is one), then the text is fixed as Telegram fixes it (<see cref="FormattedText.Fix"/>:
    /// surrounding white space stripped), and only then is its length checked, in UTF-16 code units.
    /// </summary>
    private static (string Text, JsonArray? Entities, string? ParseMode) ReadText(ApiArgs args)
    {
        var raw = args.String("text");
        if (string.IsNullOrEmpty(raw)) throw BotApiException.BadRequest("message text is empty");
        var parseMode = args.String("parse_mode");
        if (parseMode is { Length: 0 }) parseMode = null;
        var (text, entities) = FormattedText.Parse(raw, parseMode);
        if (parseMode is null && args.Array("entities") is { } given) entities = given;
        (text, entities) = FormattedText.Fix(text, entities);
        if (FormattedText.IsEmpty(text)) throw BotApiException.BadRequest("message text is empty");
        if (text.Length > MaxTextLength) throw BotApiException.BadRequest("message is too long");
        return (text, entities.Count > 0 ? entities : null, parseMode);
    }

    private static SandboxMessage RequireEditable(SandboxChat chat, ApiArgs args)
    {
        if (args.Has("inline_message_id")) throw BotApiException.BadRequest("MESSAGE_ID_INVALID");
        var messageId = args.Int("message_id") ?? throw BotApiException.BadRequest("message_id is empty");
        var message = chat.Find(messageId);
        if (message is null || message.Deleted) throw BotApiException.BadRequest("message to edit not found");
        if (!message.FromBot || message.Invoice is not null) throw BotApiException.BadRequest("message can't be edited");
        return message;
    }

    private static JsonObject? ReadInlineMarkup(ApiArgs args)
    {
        var markup = args.Object("reply_markup", "can't parse reply keyboard markup JSON object");
        if (markup is null) return null;
        if (markup["inline_keyboard"] is null) throw BotApiException.BadRequest("can't parse inline keyboard markup JSON object");
        ReplyMarkupValidator.Validate(markup);
        return markup;
    }

    private static JsonNode? InlineOf(JsonObject? markup) => markup?["inline_keyboard"] is { } rows ? rows : null;

    private static BotApiException NotModified() => BotApiException.BadRequest(
        "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message");

    private ValueTask<BotApiResult> EditMessageTextAsync(BotApiCall call)
    {
        var (bot, args) = (call.Bot, call.Args);
        var (text, entities, parseMode) = ReadText(args);
        var markup = ReadInlineMarkup(args);
        lock (bot.Sync)
        {
            var chat = ChatLookup.Require(bot, args, writing: true);
            var message = RequireEditable(chat, args);
            ReplyMarkupValidator.ValidateFor(chat, markup);
            entities = UserMentions.Resolve(entities, bot);
            if (message.Text == text
                && JsonNode.DeepEquals(message.Entities ?? [], entities ?? [])
                && JsonNode.DeepEquals(InlineOf(message.ReplyMarkup), InlineOf(markup)))
                throw NotModified();
            limiter.Take(bot.Id, chat.Id);
            message.Text = text;
            message.Entities = entities;
            message.ParseMode = parseMode;
            message.ReplyMarkup = markup;
            message.EditDate = Now;
            chat.Changed.Pulse();
            return ValueTask.FromResult(new BotApiResult(TelegramJson.Message(bot, chat, message)));
        }
    }

    private ValueTask<BotApiResult> EditMessageReplyMarkupAsync(BotApiCall call)
    {
        var (bot, args) = (call.Bot, call.Args);
        var markup = ReadInlineMarkup(args);
        lock (bot.Sync)
        {
            var chat = ChatLookup.Require(bot, args, writing: true);
            var message = RequireEditable(chat, args);
            ReplyMarkupValidator.ValidateFor(chat, markup);
            if (JsonNode.DeepEquals(InlineOf(message.ReplyMarkup), InlineOf(markup))) throw NotModified();
            limiter.Take(bot.Id, chat.Id);
            message.ReplyMarkup = markup;
            message.EditDate = Now;
            chat.Changed.Pulse();
            return ValueTask.FromResult(new BotApiResult(TelegramJson.Message(bot, chat, message)));
        }
    }

    private static ValueTask<BotApiResult> DeleteMessageAsync(BotApiCall call)
    {
        var (bot, args) = (call.Bot, call.Args);
        lock (bot.Sync)
        {
            var chat = ChatLookup.Require(bot, args, writing: false);
            var messageId = args.Int("message_id") ?? throw BotApiException.BadRequest("message_id is empty");
            var message = chat.Find(messageId);
            if (message is null || message.Deleted) throw BotApiException.BadRequest("message to delete not found");
            message.Deleted = true;
            chat.Changed.Pulse();
            return ValueTask.FromResult(BotApiResult.True);
        }
    }

    private ValueTask<BotApiResult> SendChatActionAsync(BotApiCall call)
    {
        var (bot, args) = (call.Bot, call.Args);
        var action = args.String("action");
        if (string.IsNullOrEmpty(action)) throw BotApiException.BadRequest("action is empty");
        if (!ChatActions.Contains(action)) throw BotApiException.BadRequest("wrong parameter action in request");
        lock (bot.Sync)
        {
            var chat = ChatLookup.Require(bot, args, writing: true);
            chat.ChatAction = action;
            chat.ChatActionUntil = Now + 5;
            chat.Changed.Pulse();
            return ValueTask.FromResult(BotApiResult.True);
        }
    }

    private ValueTask<BotApiResult> AnswerCallbackQueryAsync(BotApiCall call)
    {
        var (bot, args) = (call.Bot, call.Args);
        var id = args.String("callback_query_id");
        if (string.IsNullOrEmpty(id)) throw BotApiException.BadRequest("callback_query_id is empty");
        var text = args.String("text");
        if (text is { Length: > 200 }) throw BotApiException.BadRequest("MESSAGE_TOO_LONG");
        lock (bot.Sync)
        {
            // Telegram gives the one answer for a query it never issued, one already answered and one past its timeout.
            if (!bot.CallbackQueries.TryTake(id, clock.GetUtcNow(), out var query)) throw BotApiException.QueryTooOld();
            var answer = new Client.SandboxCallbackAnswer(id, query.MessageId, query.Data, text, args.Bool("show_alert"), args.String("url"), Now);
            if (bot.Chats.TryGetValue(query.ChatId, out var chat))
            {
                chat.CallbackAnswers.Add(answer);
                chat.Changed.Pulse();
            }
            return ValueTask.FromResult(BotApiResult.True);
        }
    }
}
