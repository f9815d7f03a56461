using Mesh.Testing;
using System.Net;
using Mesh.Testing.Sandbox;
using Microsoft.Playwright;
using Telegram.Bot;
using Telegram.Bot.Types.Enums;
using static Microsoft.Playwright.Assertions;

namespace Mesh.TelegramSandbox.Tests;

/// <summary>A user edits a message of theirs, as in Telegram: the bot gets an <c>edited_message</c>.</summary>
public sealed class EditedMessageTests(SandboxHost sandbox) : SandboxTest(sandbox)
{
    [Fact]
    public async Task User_edit_reaches_the_bot_as_edited_message_with_the_same_id_the_new_text_and_an_edit_date()
    {
        var sent = await Client.SendTextAsync(Token, Alice, "Jonh", Ct);
        var first = Assert.Single(await Bot.GetUpdates(cancellationToken: Ct));

        var edited = await Client.EditTextAsync(Token, Alice, sent.MessageId, "John", Ct);

        var update = Assert.Single(await Bot.GetUpdates(offset: first.Id + 1, cancellationToken: Ct));
        Assert.Equal(UpdateType.EditedMessage, update.Type);
        Assert.Equal(edited.UpdateId, update.Id);
        var message = update.EditedMessage!;
        Assert.Equal(sent.MessageId, message.MessageId);
        Assert.Equal("John", message.Text);
        Assert.Equal(Alice.Id, message.Chat.Id);
        Assert.Equal(Alice.Id, message.From!.Id);
        Assert.NotNull(message.EditDate);
        Assert.True(message.EditDate >= message.Date);

        var shown = (await Client.GetChatAsync(Token, Alice.Id, ct: Ct)).Messages.Single(m => m.MessageId == sent.MessageId);
        Assert.Equal(("John", true), (shown.Text, shown.Edited));
    }

    [Fact]
    public async Task Edit_of_the_bots_message_or_one_unchanged_is_refused_and_sends_no_update()
    {
        var sent = await Client.SendTextAsync(Token, Alice, "hello", Ct);
        var first = Assert.Single(await Bot.GetUpdates(cancellationToken: Ct));
        var reply = await Bot.SendMessage(Alice.Id, "hi", cancellationToken: Ct);

        var bots = await Assert.ThrowsAsync<HttpRequestException>(() => Client.EditTextAsync(Token, Alice, reply.MessageId, "mine now", Ct));
        var same = await Assert.ThrowsAsync<HttpRequestException>(() => Client.EditTextAsync(Token, Alice, sent.MessageId, "hello", Ct));

        Assert.Equal(HttpStatusCode.NotFound, bots.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, same.StatusCode);
        Assert.Empty(await Bot.GetUpdates(offset: first.Id + 1, cancellationToken: Ct));
    }

    [Fact]
    public async Task Edit_is_not_delivered_to_a_bot_that_left_edited_message_out_of_allowed_updates()
    {
        await Bot.GetUpdates(allowedUpdates: [UpdateType.Message], cancellationToken: Ct);
        var sent = await Client.SendTextAsync(Token, Alice, "Jonh", Ct);
        var first = Assert.Single(await Bot.GetUpdates(cancellationToken: Ct));

        var edited = await Client.EditTextAsync(Token, Alice, sent.MessageId, "John", Ct);

        Assert.Null(edited.UpdateId);
        Assert.Empty(await Bot.GetUpdates(offset: first.Id + 1, cancellationToken: Ct));
    }

    [Fact]
    public async Task Message_edited_in_the_chat_page_reaches_the_bot_as_edited_message()
    {
        var me = await Bot.GetMe(Ct);
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync();
        await page.GotoAsync($"{Sandbox.ChatUrl}?bot={me.Id}");
        await page.FillAsync("#user-id", "4242");
        await page.FillAsync("#user-name", "Carol");
        await page.FillAsync("#text", "Jonh");
        await page.ClickAsync("#send");
        var mine = page.Locator(".message.from-user").Last;
        await Expect(mine.Locator(".text")).ToHaveTextAsync("Jonh");
        var first = Assert.Single(await Bot.GetUpdates(cancellationToken: Ct));

        await mine.Locator(".edit-button").ClickAsync();
        await Expect(page.Locator("#text")).ToHaveValueAsync("Jonh");
        await page.FillAsync("#text", "John");
        await page.ClickAsync("#send");

        await Expect(mine.Locator(".text")).ToHaveTextAsync("John");
        await Expect(mine.Locator(".meta")).ToContainTextAsync("edited");
        Assert.Equal(1, await page.Locator(".message.from-user").CountAsync()); // the same message, not a new one
        var update = Assert.Single(await Bot.GetUpdates(offset: first.Id + 1, cancellationToken: Ct));
        Assert.Equal((first.Message!.MessageId, "John"), (update.EditedMessage?.MessageId ?? 0, update.EditedMessage?.Text));
    }
}
