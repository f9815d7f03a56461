using System.Net;
using Mesh.Bot.Telegram;
using Mesh.Bot.Updates;
using Microsoft.Extensions.Options;
using Telegram.Bot.Types;
using Telegram.Bot.Types.ReplyMarkups;

namespace Mesh.Bot.Features.Start;

/// <summary><c>/start</c>: a greeting by first name with the main menu; <c>/help</c>: what the bot does.</summary>
public sealed class StartFeature(IOptions<TelegramOptions> options) : IBotMiddleware
{
    public async Task InvokeAsync(BotContext ctx, Func<Task> next)
    {
        switch (BotCommand.Of(ctx.Text))
        {
            case "start":
                var name = WebUtility.HtmlEncode(ctx.From?.FirstName ?? "there");
                await ctx.ReplyAsync($"Hello, {name}! 👋\nWhat would you like to do?", MainMenu(options.Value.WebAppUrl));
                break;
            case "help":
                await ctx.ReplyAsync("I sell token packs and subscriptions and put you in touch with support.\n\n/start — the main menu\n/help — this message");
                break;
            default:
                await next();
                break;
        }
    }

    public static InlineKeyboardMarkup MainMenu(string webAppUrl)
    {
        var rows = new List<InlineKeyboardButton[]>
        {
            new[] { InlineKeyboardButton.WithCallbackData("🪙 Buy tokens", "menu:billing"), InlineKeyboardButton.WithCallbackData("⭐ Subscription", "menu:subscription") },
            new[] { InlineKeyboardButton.WithCallbackData("🆘 Support", "menu:support"), InlineKeyboardButton.WithCallbackData("❓ Help", "menu:help") },
        };
        if (Uri.TryCreate(webAppUrl, UriKind.Absolute, out var url) && url.Scheme == Uri.UriSchemeHttps)
        {
            rows.Add([InlineKeyboardButton.WithWebApp("📱 Open app", new WebAppInfo(webAppUrl))]);
        }
        return new InlineKeyboardMarkup(rows);
    }
}

/// <summary>The command of a message text: <c>/start@MeshBot payload</c> → <c>start</c>; null when it is not a command.</summary>
public static class BotCommand
{
    public static string? Of(string? text)
    {
        if (string.IsNullOrEmpty(text) || text[0] != '/')
        {
            return null;
        }
        var end = text.AsSpan(1).IndexOfAny(' ', '@', '\n');
        var command = end < 0 ? text[1..] : text.Substring(1, end);
        return command.ToLowerInvariant();
    }
}
