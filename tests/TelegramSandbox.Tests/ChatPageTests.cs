using Mesh.Testing;
using Mesh.Testing.Sandbox;
using Microsoft.Playwright;
using Telegram.Bot;
using Telegram.Bot.Types.ReplyMarkups;
using static Microsoft.Playwright.Assertions;

namespace Mesh.TelegramSandbox.Tests;

public sealed class ChatPageTests(SandboxHost sandbox) : SandboxTest(sandbox)
{
    [Fact]
    public async Task Message_typed_in_the_chat_page_reaches_the_bot_and_its_reply_with_buttons_shows()
    {
        var me = await Bot.GetMe(Ct);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var echo = RunEchoBotAsync(stop.Token);

        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync();
        await page.GotoAsync($"{Sandbox.ChatUrl}?bot={me.Id}");

        await page.FillAsync("#user-name", "Carol");
        await page.FillAsync("#text", "hello <b>bot</b>");
        await page.ClickAsync("#send");

        var reply = page.Locator(".message.from-bot").First;
        await Expect(reply.Locator(".text")).ToHaveTextAsync("You said: hello <b>bot</b>");
        await Expect(reply.Locator("b")).ToHaveTextAsync("You said:");
        await Expect(reply.Locator(".inline-button", new() { HasText = "Yes" })).ToBeVisibleAsync();
        await Expect(reply.Locator(".inline-button", new() { HasText = "No" })).ToBeVisibleAsync();

        await reply.Locator(".inline-button", new() { HasText = "Yes" }).ClickAsync();
        await Expect(reply.Locator(".text")).ToHaveTextAsync("Chosen: yes");
        await Expect(reply.Locator(".meta")).ToContainTextAsync("edited");

        await stop.CancelAsync();
        await echo;
    }

    [Fact]
    public async Task Group_in_the_chat_page_shows_who_wrote_each_message_and_a_reply_to_the_bot_reaches_it()
    {
        var me = await Bot.GetMe(Ct);
        var group = await Client.CreateGroupAsync(Token, "Team", [Alice, Boris], ct: Ct);
        var offset = (await Bot.GetUpdates(cancellationToken: Ct))[^1].Id + 1;
        await Client.SendTextAsync(Token, group.ChatId, Boris, "hi all", ct: Ct);
        var greeting = await Bot.SendMessage(group.ChatId, "Hello, group", cancellationToken: Ct);

        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync();
        await page.GotoAsync($"{Sandbox.ChatUrl}?bot={me.Id}&chat={group.ChatId}");
        await Expect(page.Locator("#chat")).ToHaveValueAsync(group.ChatId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.FillAsync("#user-id", Alice.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.FillAsync("#user-name", "Alice"); // the id's change (as it loses focus) shows the chat as Alice sees it

        var boris = page.Locator(".message.from-member").First;
        await Expect(boris.Locator(".author")).ToHaveTextAsync("Boris");
        await Expect(boris.Locator(".text")).ToHaveTextAsync("hi all");
        await page.Locator(".message.from-bot").Locator(".reply-button").ClickAsync();
        await page.FillAsync("#text", "thanks, bot");
        await page.ClickAsync("#send");

        var mine = page.Locator(".message.from-user").Last;
        await Expect(mine.Locator(".author")).ToHaveTextAsync("Alice");
        await Expect(mine.Locator(".quote")).ToHaveTextAsync("Bot: Hello, group");
        // Boris's "hi all" was kept from the bot (privacy mode); Alice's reply to it reached it.
        var update = Assert.Single(await Bot.GetUpdates(offset, cancellationToken: Ct));
        Assert.Equal(("thanks, bot", Alice.Id, greeting.MessageId), (update.Message!.Text, update.Message.From!.Id, update.Message.ReplyToMessage!.MessageId));
    }

    /// <summary>A test bot: answers each text with an inline keyboard, and a press by editing the message.</summary>
    private async Task RunEchoBotAsync(CancellationToken ct)
    {
        var offset = 0;
        while (!ct.IsCancellationRequested)
        {
            Telegram.Bot.Types.Update[] updates;
            try
            {
                updates = await Bot.GetUpdates(offset, timeout: 1, cancellationToken: ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            foreach (var update in updates)
            {
                offset = update.Id + 1;
                if (update.Message is { Text: { } text } message)
                {
                    var keyboard = new InlineKeyboardMarkup([[InlineKeyboardButton.WithCallbackData("Yes", "yes"), InlineKeyboardButton.WithCallbackData("No", "no")]]);
                    await Bot.SendMessage(message.Chat.Id, $"<b>You said:</b> {System.Net.WebUtility.HtmlEncode(text)}",
                        parseMode: Telegram.Bot.Types.Enums.ParseMode.Html, replyMarkup: keyboard, cancellationToken: ct);
                }
                else if (update.CallbackQuery is { } query)
                {
                    await Bot.AnswerCallbackQuery(query.Id, "Noted", cancellationToken: ct);
                    await Bot.EditMessageText(query.Message!.Chat.Id, query.Message.MessageId, $"Chosen: {query.Data}", cancellationToken: ct);
                }
            }
        }
    }
}
