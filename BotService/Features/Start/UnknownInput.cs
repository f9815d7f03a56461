using Mesh.Bot.Updates;
using Telegram.Bot;

namespace Mesh.Bot.Features.Start;

/// <summary>The last step of the pipeline: a message nobody handled gets a short "unknown command"; a button press is always answered.</summary>
public sealed class UnknownInput(ITelegramBotClient bot) : IBotMiddleware
{
    public async Task InvokeAsync(BotContext ctx, Func<Task> next)
    {
        if (ctx.Handled)
        {
            return;
        }
        if (ctx.Update.CallbackQuery is { } query)
        {
            await bot.AnswerCallbackQuery(query.Id, "Coming soon.", cancellationToken: ctx.CancellationToken);
            ctx.Handled = true;
            return;
        }
        if (ctx.Update.Message is not null)
        {
            await ctx.ReplyAsync("Sorry, I don't know that command. Try /help.");
        }
        await next();
    }
}
