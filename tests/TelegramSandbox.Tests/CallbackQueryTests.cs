using Mesh.Testing.Sandbox;
using Mesh.TelegramSandbox.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types;
using Telegram.Bot.Types.ReplyMarkups;

namespace Mesh.TelegramSandbox.Tests;

/// <summary>
/// answerCallbackQuery as Telegram takes it: once, and only within the timeout after the press. Each test starts a
/// sandbox on a clock of its own, which it moves on.
/// </summary>
public sealed class CallbackQueryTests
{
    private const string TooOld = "Bad Request: query is too old and response timeout expired or query ID is invalid";
    private static readonly SandboxUser Alice = new(1001, "Alice");
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(null, 15)] // the default
    [InlineData("00:00:02", 2)]
    public async Task Answer_within_the_timeout_is_taken_and_one_after_it_is_too_old(string? timeout, int seconds)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var settings = new Dictionary<string, string?>();
        if (timeout is not null) settings["Sandbox:CallbackQueryTimeout"] = timeout;
        await using var host = await SandboxHost.StartAsync(settings, clock, Ct);
        var (bot, menu) = await MenuAsync(host);
        var onTime = await host.Client.PressButtonAsync(host.BotToken, Alice, menu.MessageId, "yes", Ct);
        var late = await host.Client.PressButtonAsync(host.BotToken, Alice, menu.MessageId, "no", Ct);

        clock.Advance(TimeSpan.FromSeconds(seconds));
        await bot.AnswerCallbackQuery(onTime.CallbackQueryId, "in time", cancellationToken: Ct);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        var error = await Assert.ThrowsAsync<ApiRequestException>(() => bot.AnswerCallbackQuery(late.CallbackQueryId, "too late", cancellationToken: Ct));

        Assert.Equal(400, error.ErrorCode);
        Assert.Equal(TooOld, error.Message);
        var chat = await host.Client.GetChatAsync(host.BotToken, Alice.Id, ct: Ct);
        Assert.Equal(["in time"], chat.CallbackAnswers.Select(a => a.Text));
    }

    [Fact]
    public async Task Each_query_has_its_timeout_from_its_own_press()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await SandboxHost.StartAsync(new Dictionary<string, string?> { ["Sandbox:CallbackQueryTimeout"] = "00:00:10" }, clock, Ct);
        var (bot, menu) = await MenuAsync(host);
        var first = await host.Client.PressButtonAsync(host.BotToken, Alice, menu.MessageId, "yes", Ct);
        clock.Advance(TimeSpan.FromSeconds(6));
        var second = await host.Client.PressButtonAsync(host.BotToken, Alice, menu.MessageId, "yes", Ct);

        clock.Advance(TimeSpan.FromSeconds(6)); // 12 s after the first press, 6 s after the second
        var error = await Assert.ThrowsAsync<ApiRequestException>(() => bot.AnswerCallbackQuery(first.CallbackQueryId, cancellationToken: Ct));
        await bot.AnswerCallbackQuery(second.CallbackQueryId, "second", cancellationToken: Ct);

        Assert.Equal(TooOld, error.Message);
        var chat = await host.Client.GetChatAsync(host.BotToken, Alice.Id, ct: Ct);
        Assert.Equal(second.CallbackQueryId, Assert.Single(chat.CallbackAnswers).CallbackQueryId);
    }

    [Fact]
    public async Task Second_answer_to_a_query_is_too_old_and_the_first_answer_stands()
    {
        await using var host = await SandboxHost.StartAsync(new Dictionary<string, string?>(), Ct);
        var (bot, menu) = await MenuAsync(host);
        var pressed = await host.Client.PressButtonAsync(host.BotToken, Alice, menu.MessageId, "yes", Ct);

        await bot.AnswerCallbackQuery(pressed.CallbackQueryId, "first", cancellationToken: Ct);
        var error = await Assert.ThrowsAsync<ApiRequestException>(() => bot.AnswerCallbackQuery(pressed.CallbackQueryId, "second", cancellationToken: Ct));

        Assert.Equal(400, error.ErrorCode);
        Assert.Equal(TooOld, error.Message);
        var chat = await host.Client.GetChatAsync(host.BotToken, Alice.Id, ct: Ct);
        Assert.Equal("first", Assert.Single(chat.CallbackAnswers).Text);
    }

    [Fact]
    public async Task Answer_to_a_query_id_never_issued_to_the_bot_is_too_old_or_invalid()
    {
        await using var host = await SandboxHost.StartAsync(new Dictionary<string, string?>(), Ct);
        var (_, menu) = await MenuAsync(host);
        var pressed = await host.Client.PressButtonAsync(host.BotToken, Alice, menu.MessageId, "yes", Ct);
        var otherBot = SandboxTest.NewBot(host, SandboxHost.NewBotToken());

        var unknown = await Assert.ThrowsAsync<ApiRequestException>(() => SandboxTest.NewBot(host, host.BotToken).AnswerCallbackQuery("4242", cancellationToken: Ct));
        var another = await Assert.ThrowsAsync<ApiRequestException>(() => otherBot.AnswerCallbackQuery(pressed.CallbackQueryId, cancellationToken: Ct));

        Assert.Equal(400, unknown.ErrorCode);
        Assert.Equal(TooOld, unknown.Message);
        Assert.Equal(400, another.ErrorCode);
        Assert.Equal(TooOld, another.Message);
    }

    [Fact]
    public async Task Answered_and_expired_queries_are_forgotten_and_still_get_too_old()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await SandboxHost.StartAsync(new Dictionary<string, string?> { ["Sandbox:CallbackQueryTimeout"] = "00:00:10" }, clock, Ct);
        var (bot, menu) = await MenuAsync(host);
        var answered = await host.Client.PressButtonAsync(host.BotToken, Alice, menu.MessageId, "yes", Ct);
        var expired = new List<PressedButton>();
        for (var i = 0; i < 50; i++) expired.Add(await host.Client.PressButtonAsync(host.BotToken, Alice, menu.MessageId, "no", Ct));
        await bot.AnswerCallbackQuery(answered.CallbackQueryId, "done", cancellationToken: Ct);
        var kept = Queries(host);

        clock.Advance(TimeSpan.FromSeconds(11));
        var fresh = await host.Client.PressButtonAsync(host.BotToken, Alice, menu.MessageId, "yes", Ct);
        var again = await Assert.ThrowsAsync<ApiRequestException>(() => bot.AnswerCallbackQuery(answered.CallbackQueryId, cancellationToken: Ct));
        var late = await Assert.ThrowsAsync<ApiRequestException>(() => bot.AnswerCallbackQuery(expired[0].CallbackQueryId, cancellationToken: Ct));
        var left = Queries(host);
        await bot.AnswerCallbackQuery(fresh.CallbackQueryId, "fresh", cancellationToken: Ct);

        Assert.Equal(50, kept); // the answered one is forgotten at once
        Assert.Equal(1, left); // the expired ones once the next press sweeps them
        Assert.Equal(0, Queries(host));
        Assert.Equal((400, TooOld), (again.ErrorCode, again.Message));
        Assert.Equal((400, TooOld), (late.ErrorCode, late.Message));
    }

    /// <summary>How many callback queries the sandbox keeps for the host's bot.</summary>
    private static int Queries(SandboxHost host)
    {
        host.Services.GetRequiredService<Bots.BotRegistry>().Resolve(host.BotToken, out var bot);
        lock (bot!.Sync) return bot.CallbackQueries.Count;
    }

    [Theory]
    [InlineData("CallbackQueryTimeout", "00:00:00")]
    [InlineData("CallbackQueryTimeout", "-00:00:01")]
    [InlineData("PreCheckoutQueryTimeout", "00:00:00")]
    public async Task A_query_timeout_that_is_not_positive_stops_the_start(string key, string timeout)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            SandboxHost.StartAsync(new Dictionary<string, string?> { [$"Sandbox:{key}"] = timeout }, Ct));

        Assert.Contains($"Sandbox:{key} must be positive", error.Message);
    }

    /// <summary>Alice has started the bot, which sent her a message with the buttons yes and no.</summary>
    [Fact]
    public async Task A_pre_checkout_query_answered_after_ten_seconds_is_too_old_and_that_payment_does_not_go_through()
    {
        // Telegram: "The Bot API must receive an answer within 10 seconds after the pre-checkout query was sent."
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await SandboxHost.StartAsync(new Dictionary<string, string?>(), clock, Ct);
        var (bot, _) = await MenuAsync(host);
        var invoice = await bot.SendInvoice(Alice.Id, "100 tokens", "A pack of tokens", "pack:100", "XTR",
            [new Telegram.Bot.Types.Payments.LabeledPrice("Pack", 50)], cancellationToken: Ct);
        var onTime = await host.Client.PayInvoiceAsync(host.BotToken, Alice, invoice.MessageId, Ct);
        var late = await host.Client.PayInvoiceAsync(host.BotToken, Alice, invoice.MessageId, Ct);

        clock.Advance(TimeSpan.FromSeconds(10));
        await bot.AnswerPreCheckoutQuery(onTime.PreCheckoutQueryId, cancellationToken: Ct);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        var error = await Assert.ThrowsAsync<ApiRequestException>(() => bot.AnswerPreCheckoutQuery(late.PreCheckoutQueryId, cancellationToken: Ct));

        Assert.Equal(400, error.ErrorCode);
        Assert.Equal(TooOld, error.Message);
        var chat = await host.Client.GetChatAsync(host.BotToken, Alice.Id, ct: Ct);
        Assert.Single(chat.Messages, m => m.SuccessfulPayment is not null);
    }

    private static async Task<(TelegramBotClient Bot, Message Menu)> MenuAsync(SandboxHost host)
    {
        var bot = SandboxTest.NewBot(host, host.BotToken);
        await host.Client.SendTextAsync(host.BotToken, Alice, "/start", Ct);
        var menu = await bot.SendMessage(Alice.Id, "Pick", replyMarkup: new InlineKeyboardMarkup(
            InlineKeyboardButton.WithCallbackData("Yes", "yes"), InlineKeyboardButton.WithCallbackData("No", "no")), cancellationToken: Ct);
        return (bot, menu);
    }
}
