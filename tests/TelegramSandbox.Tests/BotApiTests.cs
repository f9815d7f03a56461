using System.Net;
using System.Text.Json.Nodes;
using Mesh.Testing.Sandbox;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;
using Telegram.Bot.Types.ReplyMarkups;

namespace Mesh.TelegramSandbox.Tests;

public sealed class BotApiTests(SandboxHost sandbox) : SandboxTest(sandbox)
{
    [Fact]
    public async Task GetMe_describes_the_bot_of_the_token()
    {
        var me = await Bot.GetMe(Ct);

        Assert.Equal(long.Parse(Token.Split(':')[0]), me.Id);
        Assert.True(me.IsBot);
        Assert.False(string.IsNullOrEmpty(me.Username));
    }

    [Theory]
    [InlineData("4200000001:ThisTokenHasBotInsideItAndBOTtoo_00")]
    [InlineData("4200000002:botbotbotbotbotbotbotbotbotbotbotbo")]
    public async Task Token_containing_bot_is_served_like_any_other(string token)
    {
        using var response = await Sandbox.Client.Http.GetAsync($"/bot{token}/getMe", Ct);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(long.Parse(token.Split(':')[0]), (long)body["result"]!["id"]!);
    }

    [Fact]
    public async Task Path_without_the_bot_prefix_is_not_found()
    {
        using var response = await Sandbox.Client.Http.GetAsync($"/Bot{Token}/getMe", Ct);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Malformed_token_gets_404_not_found()
    {
        using var response = await Sandbox.Client.Http.GetAsync("/bot123:short/getMe", Ct);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.False((bool)body["ok"]!);
        Assert.Equal(404, (int)body["error_code"]!);
        Assert.Equal("Not Found", (string?)body["description"]);
    }

    [Fact]
    public async Task Unknown_method_gets_404_not_found()
    {
        using var response = await Sandbox.Client.Http.GetAsync($"/bot{Token}/noSuchMethod", Ct);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Method_names_are_case_insensitive_and_form_and_query_parameters_work()
    {
        await Client.SendTextAsync(Token, Alice, "/start", Ct);

        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["chat_id"] = Alice.Id.ToString(),
            ["text"] = "<b>hi</b>",
            ["parse_mode"] = "HTML",
            ["reply_markup"] = """{"inline_keyboard":[[{"text":"Go","callback_data":"go"}]]}""",
        });
        using var sent = await Sandbox.Client.Http.PostAsync($"/bot{Token}/SENDMESSAGE", form, Ct);
        var result = JsonNode.Parse(await sent.Content.ReadAsStringAsync(Ct))!["result"]!;
        using var viaQuery = await Sandbox.Client.Http.GetAsync($"/bot{Token}/sendmessage?chat_id={Alice.Id}&text=plain", Ct);

        Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        Assert.Equal("hi", (string?)result["text"]);
        Assert.Equal("bold", (string?)result["entities"]![0]!["type"]);
        Assert.Equal("go", (string?)result["reply_markup"]!["inline_keyboard"]![0]![0]!["callback_data"]);
        Assert.Equal(HttpStatusCode.OK, viaQuery.StatusCode);
    }

    [Fact]
    public async Task Message_ids_count_per_chat_and_dates_are_unix_seconds()
    {
        var fromAlice = await Client.SendTextAsync(Token, Alice, "hello", Ct);
        await Client.SendTextAsync(Token, Boris, "privet", Ct);

        var toAlice = await Bot.SendMessage(Alice.Id, "hi Alice", cancellationToken: Ct);
        var toBoris = await Bot.SendMessage(Boris.Id, "hi Boris", cancellationToken: Ct);

        Assert.Equal(1, fromAlice.MessageId);
        Assert.Equal(2, toAlice.MessageId);
        Assert.Equal(2, toBoris.MessageId);
        Assert.InRange(toAlice.Date, DateTime.UtcNow.AddMinutes(-1), DateTime.UtcNow.AddMinutes(1));
    }

    [Fact]
    public async Task Sending_to_a_user_who_never_wrote_is_chat_not_found()
    {
        var error = await Assert.ThrowsAsync<ApiRequestException>(() => Bot.SendMessage(424242, "hello", cancellationToken: Ct));

        Assert.Equal(400, error.ErrorCode);
        Assert.Equal("Bad Request: chat not found", error.Message);
    }

    [Theory]
    [InlineData("getUpdates", "{\"offset\":1.5}")]                                          // an Integer that is not whole
    [InlineData("sendMessage", "{\"chat_id\":1,\"text\":\"a\",\"reply_parameters\":{\"message_id\":\"x\"}}")]
    [InlineData("setMyCommands", "{\"commands\":[\"start\"]}")]                            // an element that is not an object
    public async Task A_value_of_the_wrong_type_is_a_400_in_telegrams_shape_not_a_500(string method, string json)
    {
        using var content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        using var answer = await Sandbox.Client.Http.PostAsync($"/bot{Token}/{method}", content, Ct);
        var body = JsonNode.Parse(await answer.Content.ReadAsStringAsync(Ct))!;

        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        Assert.False((bool)body["ok"]!);
        Assert.Equal(400, (int)body["error_code"]!);
        Assert.StartsWith("Bad Request: ", (string)body["description"]!);
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("\"true\"", false)]   // not a boolean: the keyboard is kept, and the user's messages still go through
    public async Task A_one_time_reply_keyboard_goes_once_the_user_writes(string oneTime, bool gone)
    {
        await Client.SendTextAsync(Token, Alice, "/start", Ct);
        var markup = $$$"""{"keyboard":[[{"text":"Yes"}]],"one_time_keyboard":{{{oneTime}}}}""";
        using var content = new StringContent($$$"""{"chat_id":{{{Alice.Id}}},"text":"Sure?","reply_markup":{{{markup}}}}""", System.Text.Encoding.UTF8, "application/json");
        using (var sent = await Sandbox.Client.Http.PostAsync($"/bot{Token}/sendMessage", content, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        }

        await Client.SendTextAsync(Token, Alice, "Yes", Ct);

        Assert.Equal(gone, (await Client.GetChatAsync(Token, Alice.Id, ct: Ct)).ReplyKeyboard is null);
    }

    [Fact]
    public async Task Text_is_stripped_of_surrounding_white_space_before_its_length_is_checked()
    {
        await Client.SendTextAsync(Token, Alice, "/start", Ct);

        var sent = await Bot.SendMessage(Alice.Id, new string('a', 4096) + "\n", cancellationToken: Ct);

        Assert.Equal(new string('a', 4096), sent.Text);
    }

    [Fact]
    public async Task A_button_url_that_is_not_a_web_or_telegram_link_is_refused()
    {
        await Client.SendTextAsync(Token, Alice, "/start", Ct);

        var error = await Assert.ThrowsAsync<ApiRequestException>(() => Bot.SendMessage(Alice.Id, "pick",
            replyMarkup: new InlineKeyboardMarkup(InlineKeyboardButton.WithUrl("Open", "javascript:alert(1)")), cancellationToken: Ct));

        Assert.Equal("Bad Request: BUTTON_URL_INVALID", error.Message);
    }

    [Fact]
    public async Task Text_over_4096_characters_is_too_long()
    {
        await Client.SendTextAsync(Token, Alice, "/start", Ct);

        var error = await Assert.ThrowsAsync<ApiRequestException>(() => Bot.SendMessage(Alice.Id, new string('a', 4097), cancellationToken: Ct));
        var fits = await Bot.SendMessage(Alice.Id, new string('a', 4096), cancellationToken: Ct);

        Assert.Equal(400, error.ErrorCode);
        Assert.Equal("Bad Request: message is too long", error.Message);
        Assert.Equal(4096, fits.Text!.Length);
    }

    [Fact]
    public async Task Callback_data_over_64_bytes_is_button_data_invalid()
    {
        await Client.SendTextAsync(Token, Alice, "/start", Ct);
        var markup = new InlineKeyboardMarkup(InlineKeyboardButton.WithCallbackData("Big", new string('x', 65)));

        var error = await Assert.ThrowsAsync<ApiRequestException>(() => Bot.SendMessage(Alice.Id, "pick", replyMarkup: markup, cancellationToken: Ct));

        Assert.Equal(400, error.ErrorCode);
        Assert.Equal("Bad Request: BUTTON_DATA_INVALID", error.Message);
    }

    [Theory]
    [InlineData(10, 10, true)]
    [InlineData(1, 100, true)]
    [InlineData(13, 8, false)]
    [InlineData(1, 101, false)]
    public async Task An_inline_keyboard_of_more_than_100_buttons_is_too_long(int rows, int perRow, bool fits)
    {
        await Client.SendTextAsync(Token, Alice, "/start", Ct);
        var markup = new InlineKeyboardMarkup(Enumerable.Range(0, rows).Select(r =>
            Enumerable.Range(0, perRow).Select(b => InlineKeyboardButton.WithCallbackData($"{r}.{b}", $"{r}.{b}"))));
        var menu = await Bot.SendMessage(Alice.Id, "menu", cancellationToken: Ct);

        if (fits)
        {
            var sent = await Bot.SendMessage(Alice.Id, "pick", replyMarkup: markup, cancellationToken: Ct);
            Assert.Equal(rows * perRow, sent.ReplyMarkup!.InlineKeyboard.Sum(row => row.Count()));
            return;
        }
        var send = await Assert.ThrowsAsync<ApiRequestException>(() => Bot.SendMessage(Alice.Id, "pick", replyMarkup: markup, cancellationToken: Ct));
        var edit = await Assert.ThrowsAsync<ApiRequestException>(() => Bot.EditMessageReplyMarkup(Alice.Id, menu.MessageId, markup, cancellationToken: Ct));

        Assert.Equal((400, "Bad Request: reply markup is too long"), (send.ErrorCode, send.Message));
        Assert.Equal((400, "Bad Request: reply markup is too long"), (edit.ErrorCode, edit.Message));
    }

    [Fact]
    public async Task Editing_to_the_same_content_is_not_modified()
    {
        await Client.SendTextAsync(Token, Alice, "/start", Ct);
        var markup = new InlineKeyboardMarkup(InlineKeyboardButton.WithCallbackData("A", "a"));
        var sent = await Bot.SendMessage(Alice.Id, "same", replyMarkup: markup, cancellationToken: Ct);

        var error = await Assert.ThrowsAsync<ApiRequestException>(() => Bot.EditMessageText(Alice.Id, sent.MessageId, "same", replyMarkup: markup, cancellationToken: Ct));
        var markupError = await Assert.ThrowsAsync<ApiRequestException>(() => Bot.EditMessageReplyMarkup(Alice.Id, sent.MessageId, markup, cancellationToken: Ct));

        Assert.Equal(400, error.ErrorCode);
        Assert.Equal("Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message", error.Message);
        Assert.StartsWith("Bad Request: message is not modified", markupError.Message);
    }

    [Fact]
    public async Task Edited_message_shows_as_edited_and_missing_message_is_not_found()
    {
        await Client.SendTextAsync(Token, Alice, "/start", Ct);
        var sent = await Bot.SendMessage(Alice.Id, "draft", cancellationToken: Ct);

        var edited = await Bot.EditMessageText(Alice.Id, sent.MessageId, "final", cancellationToken: Ct);
        var seen = await Client.WaitForBotMessageAsync(Token, Alice.Id, m => m.Edited, ct: Ct);
        var missing = await Assert.ThrowsAsync<ApiRequestException>(() => Bot.EditMessageText(Alice.Id, 999, "x", cancellationToken: Ct));

        Assert.NotNull(edited.EditDate);
        Assert.Equal("final", seen.Text);
        Assert.Equal("Bad Request: message to edit not found", missing.Message);
    }

    [Fact]
    public async Task Deleted_message_is_flagged_and_cannot_be_deleted_twice()
    {
        await Client.SendTextAsync(Token, Alice, "/start", Ct);
        var sent = await Bot.SendMessage(Alice.Id, "temporary", cancellationToken: Ct);

        await Bot.DeleteMessage(Alice.Id, sent.MessageId, Ct);
        var again = await Assert.ThrowsAsync<ApiRequestException>(() => Bot.DeleteMessage(Alice.Id, sent.MessageId, Ct));
        var messages = await Client.GetBotMessagesAsync(Token, Alice.Id, Ct);

        Assert.True(Assert.Single(messages).Deleted);
        Assert.Equal("Bad Request: message to delete not found", again.Message);
    }

    [Fact]
    public async Task Blocked_user_makes_sends_forbidden_until_unblocked()
    {
        await Client.SendTextAsync(Token, Alice, "/start", Ct);
        await Client.BlockAsync(Token, Alice.Id, Ct);

        var error = await Assert.ThrowsAsync<ApiRequestException>(() => Bot.SendMessage(Alice.Id, "anyone there?", cancellationToken: Ct));
        var updates = await Bot.GetUpdates(cancellationToken: Ct);
        await Client.UnblockAsync(Token, Alice.Id, Ct);
        var sent = await Bot.SendMessage(Alice.Id, "welcome back", cancellationToken: Ct);

        Assert.Equal(403, error.ErrorCode);
        Assert.Equal("Forbidden: bot was blocked by the user", error.Message);
        Assert.Equal(ChatMemberStatus.Kicked, updates.Last().MyChatMember!.NewChatMember.Status);
        Assert.Equal("welcome back", sent.Text);
    }

    [Theory]
    [InlineData("<b>bold</b> and <i>italic</i> <a href=\"https://example.com\">link</a> &lt;3", ParseMode.Html, "bold and italic link <3")]
    [InlineData("*bold* _italic_ __under__ ~strike~ ||spoiler|| `code` [link](https://example.com) 1\\.5", ParseMode.MarkdownV2, "bold italic under strike spoiler code link 1.5")]
    [InlineData("*bold* _italic_ `code`", ParseMode.Markdown, "bold italic code")]
    public async Task Well_formed_markup_is_parsed_into_entities(string text, ParseMode mode, string plain)
    {
        await Client.SendTextAsync(Token, Alice, "/start", Ct);

        var sent = await Bot.SendMessage(Alice.Id, text, parseMode: mode, cancellationToken: Ct);

        Assert.Equal(plain, sent.Text);
        Assert.NotEmpty(sent.Entities!);
    }

    [Theory]
    [InlineData(ParseMode.Html, "Hi <a href=\"tg://user?id={0}\">Ada</a>!")]
    [InlineData(ParseMode.MarkdownV2, "Hi [Ada](tg://user?id={0})\\!")]
    public async Task A_link_to_a_user_the_bot_knows_is_a_mention_of_them(ParseMode mode, string template)
    {
        await Client.SendTextAsync(Token, Alice, "/start", Ct);

        var sent = await Bot.SendMessage(Alice.Id, string.Format(System.Globalization.CultureInfo.InvariantCulture, template, Alice.Id), parseMode: mode, cancellationToken: Ct);
        var edited = await Bot.EditMessageText(Alice.Id, sent.MessageId, $"Bye <a href=\"tg://user?id={Alice.Id}\">Ada</a>", parseMode: ParseMode.Html, cancellationToken: Ct);

        Assert.Equal("Hi Ada!", sent.Text);
        var mention = Assert.Single(sent.Entities!);
        Assert.Equal((MessageEntityType.TextMention, 3, 3, Alice.Id, Alice.FirstName), (mention.Type, mention.Offset, mention.Length, mention.User?.Id, mention.User?.FirstName));
        Assert.Null(mention.Url);
        Assert.Equal((MessageEntityType.TextMention, Alice.Id), (Assert.Single(edited.Entities!).Type, edited.Entities![0].User?.Id));
    }

    [Fact]
    public async Task A_link_to_a_user_the_bot_does_not_know_leaves_the_text_plain()
    {
        await Client.SendTextAsync(Token, Alice, "/start", Ct);

        var sent = await Bot.SendMessage(Alice.Id, "Hi <a href=\"tg://user?id=987654321\">stranger</a>, <b>welcome</b>", parseMode: ParseMode.Html, cancellationToken: Ct);

        Assert.Equal("Hi stranger, welcome", sent.Text);
        Assert.Equal([MessageEntityType.Bold], sent.Entities!.Select(e => e.Type));
    }

    [Theory]
    [InlineData("<b>unclosed", ParseMode.Html)]
    [InlineData("<b>x</i>", ParseMode.Html)]
    [InlineData("<blink>x</blink>", ParseMode.Html)]
    [InlineData("1 < 2 <", ParseMode.Html)]
    [InlineData("Price 1.5", ParseMode.MarkdownV2)]
    [InlineData("*unclosed", ParseMode.MarkdownV2)]
    [InlineData("_unclosed", ParseMode.Markdown)]
    public async Task Malformed_markup_cannot_be_parsed(string text, ParseMode mode)
    {
        await Client.SendTextAsync(Token, Alice, "/start", Ct);

        var error = await Assert.ThrowsAsync<ApiRequestException>(() => Bot.SendMessage(Alice.Id, text, parseMode: mode, cancellationToken: Ct));

        Assert.Equal(400, error.ErrorCode);
        Assert.StartsWith("Bad Request: can't parse entities: ", error.Message);
    }

    [Fact]
    public async Task Pressing_a_button_sends_a_callback_query_and_its_answer_is_recorded()
    {
        await Client.SendTextAsync(Token, Alice, "/start", Ct);
        var sent = await Bot.SendMessage(Alice.Id, "Pick", replyMarkup: new InlineKeyboardMarkup(InlineKeyboardButton.WithCallbackData("Yes", "yes")), cancellationToken: Ct);
        var start = await Bot.GetUpdates(cancellationToken: Ct);

        var pressed = await Client.PressButtonAsync(Token, Alice, sent.MessageId, "yes", Ct);
        var updates = await Bot.GetUpdates(offset: start[^1].Id + 1, cancellationToken: Ct);
        var query = Assert.Single(updates).CallbackQuery!;
        await Bot.AnswerCallbackQuery(query.Id, "Done", cancellationToken: Ct);
        var answer = await Client.WaitForCallbackAnswerAsync(Token, Alice.Id, pressed.CallbackQueryId, ct: Ct);
        var twice = await Assert.ThrowsAsync<ApiRequestException>(() => Bot.AnswerCallbackQuery(query.Id, cancellationToken: Ct));

        Assert.Equal("yes", query.Data);
        Assert.Equal(sent.MessageId, query.Message!.MessageId);
        Assert.Equal("Done", answer.Text);
        Assert.Equal(400, twice.ErrorCode);
    }

    [Fact]
    public async Task Commands_are_kept_per_language()
    {
        await Bot.SetMyCommands([new BotCommand("start", "Start"), new BotCommand("help", "Help")], cancellationToken: Ct);
        await Bot.SetMyCommands([new BotCommand("start", "Начать")], languageCode: "ru", cancellationToken: Ct);

        var byDefault = await Bot.GetMyCommands(cancellationToken: Ct);
        var russian = await Bot.GetMyCommands(languageCode: "ru", cancellationToken: Ct);
        var german = await Bot.GetMyCommands(languageCode: "de", cancellationToken: Ct);
        await Bot.DeleteMyCommands(languageCode: "ru", cancellationToken: Ct);
        var deleted = await Bot.GetMyCommands(languageCode: "ru", cancellationToken: Ct);

        Assert.Equal(["start", "help"], byDefault.Select(c => c.Command));
        Assert.Equal("Начать", Assert.Single(russian).Description);
        Assert.Empty(german);
        Assert.Empty(deleted);
    }

    [Fact]
    public async Task Invalid_command_is_refused()
    {
        var error = await Assert.ThrowsAsync<ApiRequestException>(() => Bot.SetMyCommands([new BotCommand("Bad Command", "x")], cancellationToken: Ct));
        Assert.Equal("Bad Request: BOT_COMMAND_INVALID", error.Message);
    }

    [Fact]
    public async Task GetChat_and_chat_action_and_reply_keyboard_work_for_a_started_chat()
    {
        var first = await Client.SendTextAsync(Token, Alice, "/start", Ct);

        var chat = await Bot.GetChat(Alice.Id, Ct);
        await Bot.SendChatAction(Alice.Id, ChatAction.Typing, cancellationToken: Ct);
        var reply = await Bot.SendMessage(Alice.Id, "Choose", replyMarkup: new ReplyKeyboardMarkup(new KeyboardButton("Red"), new KeyboardButton("Blue")),
            replyParameters: new ReplyParameters { MessageId = first.MessageId }, cancellationToken: Ct);
        var state = await Client.GetChatAsync(Token, Alice.Id, ct: Ct);

        Assert.Equal("Alice", chat.FirstName);
        Assert.Equal(ChatType.Private, chat.Type);
        Assert.Equal(first.MessageId, reply.ReplyToMessage!.MessageId);
        Assert.Equal("Red", (string?)state.ReplyKeyboard!["keyboard"]![0]![0]!["text"]);
    }

    [Fact]
    public async Task Command_from_a_user_carries_a_bot_command_entity()
    {
        await Client.SendTextAsync(Token, Alice, "/start payload", Ct);

        var update = Assert.Single(await Bot.GetUpdates(cancellationToken: Ct));

        var entity = Assert.Single(update.Message!.Entities!);
        Assert.Equal(MessageEntityType.BotCommand, entity.Type);
        Assert.Equal(6, entity.Length);
        Assert.Equal("en", update.Message.From!.LanguageCode);
    }

    [Fact]
    public async Task Stars_invoice_paid_by_the_user_completes_after_pre_checkout()
    {
        await Client.SendTextAsync(Token, Alice, "/buy", Ct);
        var invoice = await Bot.SendInvoice(Alice.Id, "100 tokens", "A pack of tokens", "pack:100", "XTR", [new Telegram.Bot.Types.Payments.LabeledPrice("Pack", 50)], cancellationToken: Ct);
        var start = await Bot.GetUpdates(cancellationToken: Ct);

        var paid = await Client.PayInvoiceAsync(Token, Alice, invoice.MessageId, Ct);
        var query = Assert.Single(await Bot.GetUpdates(offset: start[^1].Id + 1, cancellationToken: Ct)).PreCheckoutQuery!;
        await Bot.AnswerPreCheckoutQuery(query.Id, cancellationToken: Ct);
        var payment = (await Bot.GetUpdates(offset: start[^1].Id + 2, cancellationToken: Ct)).Single().Message!.SuccessfulPayment!;

        Assert.Equal(paid.PreCheckoutQueryId, query.Id);
        Assert.Equal(50, query.TotalAmount);
        Assert.Equal("pack:100", payment.InvoicePayload);
        Assert.Equal("XTR", payment.Currency);
    }
}
