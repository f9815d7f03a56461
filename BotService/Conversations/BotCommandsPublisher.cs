using Mesh.Bot.Texts;
using Telegram.Bot;
using Telegram.Bot.Types;

namespace Mesh.Bot.Conversations;

/// <summary>
/// At start, registers the bot's commands with <c>setMyCommands</c> for each language (and the default, English), and a
/// shorter list for every group chat (<see cref="CommandsOf"/>): what the "/" menu offers there. Telegram being down
/// does not stop the service: it tries again with a growing pause until it succeeds.
/// </summary>
public sealed partial class BotCommandsPublisher(ITelegramBotClient bot, TimeProvider clock, ILogger<BotCommandsPublisher> logger) : BackgroundService
{
    /// <summary>
    /// The commands in <paramref name="t"/>'s language; in a group (<paramref name="group"/>) only those that serve there:
    /// the profile is kept to the private chat (its command in a group only points there) and no dialog starts in a
    /// group, so there is nothing to cancel.
    /// </summary>
    public static IReadOnlyList<BotCommand> CommandsOf(BotTexts t, bool group = false)
    {
        BotCommand[] all =
        [
            new() { Command = "start", Description = t.CommandStart },
            new() { Command = "profile", Description = t.CommandProfile },
            new() { Command = "language", Description = t.CommandLanguage },
            new() { Command = "cancel", Description = t.CommandCancel },
            new() { Command = "help", Description = t.CommandHelp },
        ];
        return group ? [.. all.Where(c => c.Command is not ("profile" or "cancel"))] : all;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var pause = TimeSpan.FromSeconds(2);
        for (var attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                await bot.SetMyCommands(CommandsOf(BotTexts.English), cancellationToken: stoppingToken);
                await bot.SetMyCommands(CommandsOf(BotTexts.English, group: true), BotCommandScope.AllGroupChats(), cancellationToken: stoppingToken);
                foreach (var language in BotLanguages.All)
                {
                    await bot.SetMyCommands(CommandsOf(BotTexts.For(language)), languageCode: language.Code(), cancellationToken: stoppingToken);
                    await bot.SetMyCommands(CommandsOf(BotTexts.For(language), group: true), BotCommandScope.AllGroupChats(), language.Code(), stoppingToken);
                }
                LogPublished(logger, BotLanguages.All.Count);
                return;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // The exception's message may hold the request URL, and so the token: log its type only.
                LogFailed(logger, e.GetType().Name, attempt, pause.TotalSeconds);
                await Task.Delay(pause, clock, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                pause = TimeSpan.FromSeconds(Math.Min(pause.TotalSeconds * 2, 300));
            }
        }
    }

    [LoggerMessage(30, LogLevel.Information, "Registered the bot's commands in {Languages} languages")]
    static partial void LogPublished(ILogger logger, int languages);

    [LoggerMessage(31, LogLevel.Warning, "Registering the bot's commands failed ({Error}, try {Attempt}); trying again in {PauseSeconds} s")]
    static partial void LogFailed(ILogger logger, string error, int attempt, double pauseSeconds);
}
