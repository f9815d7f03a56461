using System.Text.Json.Nodes;
using Mesh.Bot.Telegram;
using Telegram.Bot.Requests;
using Telegram.Bot.Types.Enums;
using Telegram.Bot.Types.ReplyMarkups;

namespace Mesh.Bot.Tests.Unit;

/// <summary>The update path's own sendMessage puts on the wire what Telegram.Bot's SendMessageRequest would.</summary>
public sealed class SendMessageForIdTests
{
    const string Greeting = "Привіт, <b>Ада</b> \"👋\"";
    static readonly InlineKeyboardMarkup Menu = new([[InlineKeyboardButton.WithCallbackData("Tariffs", "menu:tariffs"), InlineKeyboardButton.WithUrl("Site", "https://example.com/")]]);

    [Theory]
    [InlineData(ParseMode.None, false)]
    [InlineData(ParseMode.Html, true)]
    public async Task Body_is_the_same_json_as_telegram_bots_own_request(ParseMode parseMode, bool keyboard)
    {
        var ours = new SendMessageForId(-100123, Greeting, parseMode, keyboard ? Menu : null).ToHttpContent()!;
        var theirs = new SendMessageRequest { ChatId = -100123, Text = Greeting, ParseMode = parseMode, ReplyMarkup = keyboard ? Menu : null }.ToHttpContent()!;

        var body = await ours.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
        var expected = JsonNode.Parse(await theirs.ReadAsStringAsync(TestContext.Current.CancellationToken));

        Assert.True(JsonNode.DeepEquals(expected, JsonNode.Parse(body)), System.Text.Encoding.UTF8.GetString(body));
        Assert.Equal("application/json", ours.Headers.ContentType?.MediaType);
        // A known length: the request goes out with Content-Length, not chunked.
        Assert.Equal(body.Length, ours.Headers.ContentLength);
    }
}
