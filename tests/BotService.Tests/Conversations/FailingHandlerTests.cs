using Mesh.Bot.Conversations;
using Mesh.Bot.Telegram;
using Mesh.Bot.Updates;
using Mesh.Testing;
using Mesh.Testing.Sandbox;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Telegram.Bot;
using Telegram.Bot.Types;
using Telegram.Bot.Types.ReplyMarkups;

namespace Mesh.Bot.Tests.Conversations;

/// <summary>A handler that throws on a button press: the press is still answered (the spinner stops) and the failure goes on to the worker, which tries the update again.</summary>
public sealed class FailingHandlerTests(RedisServerFixture redis) : IAsyncLifetime
{
    readonly HttpClient http = new();
    SandboxHost sandbox = null!;

    public async ValueTask InitializeAsync() => sandbox = await SandboxBotHost.StartSandboxAsync();

    public async ValueTask DisposeAsync()
    {
        http.Dispose();
        await sandbox.DisposeAsync();
    }

    sealed record BoomButton(int N) : CallbackData("boom");

    [Fact]
    public async Task Press_whose_handler_fails_is_answered_with_an_apology_and_the_failure_is_rethrown()
    {
        var ct = TestContext.Current.CancellationToken;
        var user = SandboxBotHost.NewUser();
        await sandbox.Client.SendTextAsync(sandbox.BotToken, user, "hi", ct);
        var bot = new TelegramBotClient(new TelegramBotClientOptions(sandbox.BotToken, sandbox.BaseUrl) { RetryCount = 0 }, http);
        var data = new BoomButton(1).Pack();
        var message = await bot.SendMessage(user.Id, "Press me", replyMarkup: new InlineKeyboardMarkup(InlineKeyboardButton.WithCallbackData("Boom", data)), cancellationToken: ct);
        var pressed = await sandbox.Client.PressButtonAsync(sandbox.BotToken, user, message.Id, data, ct);

        var router = new BotRouter();
        router.Callback<BoomButton>((_, _) => throw new InvalidOperationException("the handler failed"));
        await using var services = Services(bot, router);
        var update = new Update
        {
            Id = 1,
            CallbackQuery = new CallbackQuery { Id = pressed.CallbackQueryId, Data = data, From = new User { Id = user.Id, FirstName = user.FirstName }, Message = message },
        };
        var ctx = new BotContext(update, user.Id, services.GetRequiredService<OutboundSender>(), services, ct);

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => services.GetRequiredService<BotDispatcher>().InvokeAsync(ctx, () => Task.CompletedTask));
        Assert.Equal("the handler failed", thrown.Message);

        var answer = await sandbox.Client.WaitForCallbackAnswerAsync(sandbox.BotToken, user.Id, pressed.CallbackQueryId, SandboxBotHost.Deadline, ct);
        Assert.Equal("Something went wrong; please try again.", answer.Text);
    }

    ServiceProvider Services(ITelegramBotClient bot, BotRouter router)
    {
        var telegram = Options.Create(new TelegramOptions { BotToken = sandbox.BotToken, ApiBaseUrl = sandbox.BaseUrl, PerChatPerSecond = 0, GlobalPerSecond = 0 });
        var botOptions = Options.Create(new BotOptions { RedisKeyPrefix = RedisServerFixture.NewKeyPrefix("failing") });
        return new ServiceCollection()
            .AddSingleton(redis.Connection)
            .AddSingleton(bot)
            .AddSingleton(telegram)
            .AddSingleton(botOptions)
            .AddSingleton(Options.Create(new ConversationOptions()))
            .AddSingleton(TimeProvider.System)
            .AddSingleton(typeof(Microsoft.Extensions.Logging.ILogger<>), typeof(NullLogger<>))
            .AddSingleton(new BotApiTransport(http, telegram))
            .AddSingleton<SendRateLimits>()
            .AddSingleton<UnreachableChats>()
            .AddSingleton<OutboundSender>()
            .AddSingleton(router)
            .AddSingleton<ConversationStore>()
            .AddSingleton<BotMenus>()
            .AddSingleton<ChatMemberTracking>()
            .AddSingleton<BotIdentity>() // not started: the username unknown, which a button press does not need
            .AddSingleton<BotDispatcher>()
            .BuildServiceProvider();
    }
}
