using System.Net;
using Mesh.Testing.Sandbox;
using Mesh.TelegramSandbox.Client;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;
using Telegram.Bot.Types.ReplyMarkups;

namespace Mesh.TelegramSandbox.Tests;

/// <summary>
/// Groups as Telegram has them: a negative id, a type and a title, several members; messages from a member, the bot
/// told it was added; privacy mode keeps from the bot what is not meant for it; a press comes from who pressed.
/// </summary>
public sealed class GroupTests(SandboxHost sandbox) : SandboxTest(sandbox)
{
    private static readonly SandboxUser Carol = new(1003, "Carol", LanguageCode: "uk");

    [Fact]
    public async Task Group_has_a_negative_id_a_type_a_title_and_members_and_the_bot_is_told_the_first_member_added_it()
    {
        var group = await Client.CreateGroupAsync(Token, "Team", [Alice, Boris], ct: Ct);
        var supergroup = await Client.CreateGroupAsync(Token, "Big team", [Boris], supergroup: true, Ct);

        var updates = await Bot.GetUpdates(cancellationToken: Ct);

        Assert.True(group.ChatId < 0);
        Assert.StartsWith("-100", supergroup.ChatId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(("group", "Team", Alice.Id), (group.Type, group.Title, group.User.Id));
        Assert.Equal(("supergroup", "Big team"), (supergroup.Type, supergroup.Title));
        var added = updates.Select(u => u.MyChatMember!).ToList();
        Assert.Equal([(group.ChatId, ChatType.Group, "Team", Alice.Id), (supergroup.ChatId, ChatType.Supergroup, "Big team", Boris.Id)],
            added.Select(c => (c.Chat.Id, c.Chat.Type, c.Chat.Title!, c.From.Id)));
        Assert.All(added, c => Assert.Equal((ChatMemberStatus.Left, ChatMemberStatus.Member), (c.OldChatMember.Status, c.NewChatMember.Status)));
        var state = await Client.GetChatAsync(Token, group.ChatId, ct: Ct);
        Assert.Equal(("group", "Team"), (state.Type, state.Title));
        Assert.Equal([Alice.Id, Boris.Id], state.Members!.Select(m => m.Id).Order());
        Assert.Equal(ChatType.Group, (await Bot.GetChat(group.ChatId, Ct)).Type);
    }

    [Fact]
    public async Task In_a_group_privacy_mode_delivers_commands_replies_to_the_bot_and_mentions_and_keeps_other_text_from_it()
    {
        var me = await Bot.GetMe(Ct);
        var group = await Client.CreateGroupAsync(Token, "Team", [Alice, Boris], ct: Ct);
        var offset = (await Bot.GetUpdates(cancellationToken: Ct))[^1].Id + 1;

        var plain = await Client.SendTextAsync(Token, group.ChatId, Alice, "hello everyone", ct: Ct);
        var start = await Client.SendTextAsync(Token, group.ChatId, Alice, "/start", ct: Ct);
        var addressed = await Client.SendTextAsync(Token, group.ChatId, Boris, $"/help@{me.Username!.ToUpperInvariant()} now", ct: Ct);
        var another = await Client.SendTextAsync(Token, group.ChatId, Boris, "/help@OtherBot", ct: Ct);
        var botsMessage = await Bot.SendMessage(group.ChatId, "Hi all", cancellationToken: Ct);
        var replyToBot = await Client.SendTextAsync(Token, group.ChatId, Boris, "hi bot", botsMessage.MessageId, Ct);
        var replyToAlice = await Client.SendTextAsync(Token, group.ChatId, Boris, "hi Alice", plain.MessageId, Ct);
        var mention = await Client.SendTextAsync(Token, group.ChatId, Alice, $"ask @{me.Username}, please", ct: Ct);
        var longerName = await Client.SendTextAsync(Token, group.ChatId, Alice, $"ask @{me.Username}x or mail{me.Username}@example.org", ct: Ct);

        var delivered = await Bot.GetUpdates(offset, cancellationToken: Ct);

        Assert.Equal([start.MessageId, addressed.MessageId, replyToBot.MessageId, mention.MessageId], delivered.Select(u => u.Message!.MessageId));
        Assert.All(delivered, u => Assert.Equal((group.ChatId, ChatType.Group), (u.Message!.Chat.Id, u.Message.Chat.Type)));
        Assert.Equal([Alice.Id, Boris.Id, Boris.Id, Alice.Id], delivered.Select(u => u.Message!.From!.Id));
        Assert.Equal(botsMessage.MessageId, delivered[2].Message!.ReplyToMessage!.MessageId);
        Assert.All(new[] { plain, another, replyToAlice, longerName }, m => Assert.Null(m.UpdateId));
        // Kept from the bot, not from the group: the members see every message.
        var state = await Client.GetChatAsync(Token, group.ChatId, ct: Ct);
        Assert.Equal("Alice", state.Messages.Single(m => m.MessageId == plain.MessageId).From!.FirstName);
        Assert.Equal("Boris", state.Messages.Single(m => m.MessageId == another.MessageId).From!.FirstName);
    }

    [Fact]
    public async Task In_a_group_an_edit_reaches_the_bot_only_when_the_message_as_edited_is_meant_for_it()
    {
        var group = await Client.CreateGroupAsync(Token, "Team", [Alice], ct: Ct);
        var offset = (await Bot.GetUpdates(cancellationToken: Ct))[^1].Id + 1;
        var sent = await Client.SendTextAsync(Token, group.ChatId, Alice, "hello", ct: Ct);

        var plain = await Client.EditTextAsync(Token, group.ChatId, Alice, sent.MessageId, "hello there", Ct);
        var command = await Client.EditTextAsync(Token, group.ChatId, Alice, sent.MessageId, "/start", Ct);

        Assert.Null(plain.UpdateId);
        var update = Assert.Single(await Bot.GetUpdates(offset, cancellationToken: Ct));
        Assert.Equal((command.UpdateId, "/start", Alice.Id), (update.Id, update.EditedMessage!.Text, update.EditedMessage.From!.Id));
    }

    [Fact]
    public async Task A_member_deletes_their_own_message_and_the_bot_s_reply_to_it_no_longer_carries_it()
    {
        var group = await Client.CreateGroupAsync(Token, "Team", [Alice, Boris], ct: Ct);
        var command = await Client.SendTextAsync(Token, group.ChatId, Alice, "/start", ct: Ct);
        var reply = await Bot.SendMessage(group.ChatId, "Menu", replyParameters: new ReplyParameters { MessageId = command.MessageId },
            replyMarkup: new InlineKeyboardMarkup(InlineKeyboardButton.WithCallbackData("Go", "go")), cancellationToken: Ct);
        Assert.Equal(Alice.Id, reply.ReplyToMessage?.From?.Id);

        var notHers = await Assert.ThrowsAsync<HttpRequestException>(() => Client.DeleteMessageAsync(Token, group.ChatId, Boris.Id, command.MessageId, Ct));
        await Client.DeleteMessageAsync(Token, group.ChatId, Alice.Id, command.MessageId, Ct);
        var offset = (await Bot.GetUpdates(cancellationToken: Ct))[^1].Id + 1;
        await Client.PressButtonAsync(Token, group.ChatId, Boris, reply.MessageId, "go", Ct);
        var press = (await Bot.GetUpdates(offset, cancellationToken: Ct)).Single().CallbackQuery!;

        Assert.Equal(HttpStatusCode.NotFound, notHers.StatusCode); // a member deletes only their own
        Assert.Null(press.Message!.ReplyToMessage); // as Telegram: the message replied to is gone
        var deleted = await Assert.ThrowsAsync<ApiRequestException>(() =>
            Bot.SendMessage(group.ChatId, "Again", replyParameters: new ReplyParameters { MessageId = command.MessageId }, cancellationToken: Ct));
        Assert.Equal("Bad Request: message to be replied not found", deleted.Message);
    }

    [Fact]
    public async Task A_web_app_button_is_refused_in_a_group_and_taken_in_a_private_chat()
    {
        var group = await Client.CreateGroupAsync(Token, "Team", [Alice], ct: Ct);
        await Client.SendTextAsync(Token, Alice, "/start", Ct);
        var app = new InlineKeyboardMarkup(InlineKeyboardButton.WithWebApp("Open", new WebAppInfo("https://app.example/")));

        var inGroup = await Assert.ThrowsAsync<ApiRequestException>(() => Bot.SendMessage(group.ChatId, "The app", replyMarkup: app, cancellationToken: Ct));
        var plain = await Bot.SendMessage(group.ChatId, "No app here", cancellationToken: Ct);
        var edit = await Assert.ThrowsAsync<ApiRequestException>(() => Bot.EditMessageReplyMarkup(group.ChatId, plain.MessageId, app, cancellationToken: Ct));
        var inPrivate = await Bot.SendMessage(Alice.Id, "The app", replyMarkup: app, cancellationToken: Ct);

        Assert.Equal((400, "Bad Request: BUTTON_TYPE_INVALID"), (inGroup.ErrorCode, inGroup.Message));
        Assert.Equal((400, "Bad Request: BUTTON_TYPE_INVALID"), (edit.ErrorCode, edit.Message));
        Assert.Equal("https://app.example/", inPrivate.ReplyMarkup!.InlineKeyboard.Single().Single().WebApp!.Url);
    }

    [Fact]
    public async Task Press_in_a_group_comes_from_the_member_who_pressed_with_the_group_s_message()
    {
        var group = await Client.CreateGroupAsync(Token, "Team", [Alice, Boris], ct: Ct);
        var offset = (await Bot.GetUpdates(cancellationToken: Ct))[^1].Id + 1;
        var menu = await Bot.SendMessage(group.ChatId, "Pick", replyMarkup: new InlineKeyboardMarkup(InlineKeyboardButton.WithCallbackData("Yes", "yes")),
            cancellationToken: Ct);

        var pressed = await Client.PressButtonAsync(Token, group.ChatId, Boris, menu.MessageId, "yes", Ct);

        var query = Assert.Single(await Bot.GetUpdates(offset, cancellationToken: Ct)).CallbackQuery!;
        Assert.Equal((pressed.CallbackQueryId, Boris.Id, "Boris"), (query.Id, query.From.Id, query.From.FirstName));
        Assert.Equal((group.ChatId, menu.MessageId), (query.Message!.Chat.Id, query.Message.MessageId));
        await Bot.AnswerCallbackQuery(query.Id, "Noted", cancellationToken: Ct);
        var answer = Assert.Single((await Client.GetChatAsync(Token, group.ChatId, ct: Ct)).CallbackAnswers);
        Assert.Equal("Noted", answer.Text);
    }

    [Fact]
    public async Task Bot_s_reply_in_a_group_names_the_member_s_message_and_one_to_a_missing_message_is_refused_unless_allowed()
    {
        var group = await Client.CreateGroupAsync(Token, "Team", [Alice, Boris], ct: Ct);
        var command = await Client.SendTextAsync(Token, group.ChatId, Alice, "/start", ct: Ct);

        var reply = await Bot.SendMessage(group.ChatId, "Menu", replyParameters: new ReplyParameters { MessageId = command.MessageId, AllowSendingWithoutReply = true },
            cancellationToken: Ct);
        var refused = await Assert.ThrowsAsync<ApiRequestException>(() =>
            Bot.SendMessage(group.ChatId, "Menu", replyParameters: new ReplyParameters { MessageId = 9999 }, cancellationToken: Ct));
        var allowed = await Bot.SendMessage(group.ChatId, "Menu", replyParameters: new ReplyParameters { MessageId = 9999, AllowSendingWithoutReply = true },
            cancellationToken: Ct);

        Assert.Equal((command.MessageId, Alice.Id), (reply.ReplyToMessage!.MessageId, reply.ReplyToMessage.From!.Id));
        Assert.Equal((400, "Bad Request: message to be replied not found"), (refused.ErrorCode, refused.Message));
        Assert.Null(allowed.ReplyToMessage);
        // A press on the reply carries it, so the bot can tell whose command the keyboard answers.
        var menu = await Bot.EditMessageReplyMarkup(group.ChatId, reply.MessageId, new InlineKeyboardMarkup(InlineKeyboardButton.WithCallbackData("Go", "go")),
            cancellationToken: Ct);
        await Client.PressButtonAsync(Token, group.ChatId, Boris, menu.MessageId, "go", Ct);
        var query = (await Bot.GetUpdates(cancellationToken: Ct)).Last().CallbackQuery!;
        Assert.Equal((Boris.Id, Alice.Id), (query.From.Id, query.Message!.ReplyToMessage!.From!.Id));
    }

    [Fact]
    public async Task Only_members_write_and_press_in_a_group_and_only_the_author_edits_a_message()
    {
        var group = await Client.CreateGroupAsync(Token, "Team", [Alice, Boris], ct: Ct);
        var alices = await Client.SendTextAsync(Token, group.ChatId, Alice, "/start", ct: Ct);
        var menu = await Bot.SendMessage(group.ChatId, "Pick", replyMarkup: new InlineKeyboardMarkup(InlineKeyboardButton.WithCallbackData("Yes", "yes")),
            cancellationToken: Ct);

        var writes = await Assert.ThrowsAsync<HttpRequestException>(() => Client.SendTextAsync(Token, group.ChatId, Carol, "/start", ct: Ct));
        var presses = await Assert.ThrowsAsync<HttpRequestException>(() => Client.PressButtonAsync(Token, group.ChatId, Carol, menu.MessageId, "yes", Ct));
        var edits = await Assert.ThrowsAsync<HttpRequestException>(() => Client.EditTextAsync(Token, group.ChatId, Boris, alices.MessageId, "/help", Ct));
        var blocks = await Assert.ThrowsAsync<HttpRequestException>(() => Client.BlockAsync(Token, group.ChatId, Ct));

        Assert.Equal(HttpStatusCode.Forbidden, writes.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, presses.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, edits.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, blocks.StatusCode);
    }
}
