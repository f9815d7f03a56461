using Mesh.Bot.Features.Start;
using Telegram.Bot;

namespace Mesh.Bot.Telegram;

/// <summary>
/// The bot's own username, learnt once with <c>getMe</c> at start, so that a command addressed to another bot
/// (<c>/start@OtherBot</c>, as Telegram's clients write commands in groups) is told from one addressed to this bot
/// without a Bot API call per update. The first try is made before the workers start handling updates (at most
/// <see cref="FirstTryTimeout"/>); when it fails the service starts anyway and tries again in the background with a
/// growing pause until it succeeds.
/// <para>
/// Until the username is known, a command addressed to any bot is taken as this bot's, as it was before the bot knew
/// its name. Of the two ways of being wrong meanwhile, answering another bot's command in a group is noise, while
/// ignoring a user's <c>/start@ThisBot</c> leaves them with no answer at all and a bot that looks dead; and getMe
/// fails mostly when Telegram cannot be reached, when the bot's answers cannot go out either.
/// </para>
/// </summary>
public sealed partial class BotIdentity(ITelegramBotClient bot, TimeProvider clock, ILogger<BotIdentity> logger) : BackgroundService
{
    /// <summary>How long the start waits for the first getMe before going on without the username.</summary>
    public static readonly TimeSpan FirstTryTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The pause before the first try again, doubled after each failure up to <see cref="MaxPause"/>.</summary>
    public static readonly TimeSpan FirstPause = TimeSpan.FromSeconds(1);

    static readonly TimeSpan MaxPause = TimeSpan.FromMinutes(5);

    volatile string? username;

    /// <summary>The bot's username without the <c>@</c>, or null while it is not known yet.</summary>
    public string? Username => username;

    /// <summary>
    /// Whether <paramref name="text"/> is a command addressed to a bot other than this one (<c>/help@OtherBot</c>),
    /// which is not this bot's to answer. Usernames compare case-insensitively, as Telegram's do. False for a command
    /// addressed to no bot or to this one, for text that is not a command, and for any command while the username is
    /// not known. Allocates nothing: it runs for every message.
    /// </summary>
    public bool IsAnotherBots(string? text) =>
        BotCommand.AddresseeOf(text) is { IsEmpty: false } addressee
        && username is { } me
        && !addressee.Equals(me, StringComparison.OrdinalIgnoreCase);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        using (var first = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            first.CancelAfter(FirstTryTimeout);
            if (await TryLearnAsync(1, FirstPause, cancellationToken, first.Token))
            {
                return;
            }
        }
        await base.StartAsync(cancellationToken); // tries again in ExecuteAsync
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var pause = FirstPause;
        for (var attempt = 2; ; attempt++)
        {
            await Task.Delay(pause, clock, stoppingToken);
            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, MaxPause.Ticks));
            if (await TryLearnAsync(attempt, pause, stoppingToken, stoppingToken))
            {
                return;
            }
        }
    }

    async Task<bool> TryLearnAsync(int attempt, TimeSpan pause, CancellationToken stoppingToken, CancellationToken cancellationToken)
    {
        try
        {
            var me = await bot.GetMe(cancellationToken);
            if (string.IsNullOrEmpty(me.Username))
            {
                LogFailed(logger, "no username", attempt, pause.TotalSeconds); // a bot always has one: ask again rather than trust it
                return false;
            }
            username = me.Username;
            LogLearnt(logger, me.Username, attempt);
            return true;
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            // The exception's message may hold the request URL, and so the token: log its type only.
            LogFailed(logger, e.GetType().Name, attempt, pause.TotalSeconds);
            return false;
        }
    }

    [LoggerMessage(40, LogLevel.Information, "The bot is @{Username} (getMe, try {Attempt}): commands addressed to other bots are left to them")]
    static partial void LogLearnt(ILogger logger, string username, int attempt);

    [LoggerMessage(41, LogLevel.Warning, "getMe failed ({Error}, try {Attempt}); trying again in {PauseSeconds} s. Until the bot knows its username, commands addressed to any bot are taken as its own")]
    static partial void LogFailed(ILogger logger, string error, int attempt, double pauseSeconds);
}
