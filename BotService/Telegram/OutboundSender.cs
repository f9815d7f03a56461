using System.Diagnostics;
using Microsoft.Extensions.Options;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types.Enums;
using Telegram.Bot.Types.ReplyMarkups;

namespace Mesh.Bot.Telegram;

/// <summary>
/// Every message the bot sends goes through here: per-chat and global rate limits, 429 <c>retry_after</c> honoured,
/// 5xx and network errors retried with back-off, 403 recorded (the chat is marked unreachable, no retry).
/// Telegram.Bot's own 429 retry is off (<see cref="TelegramClientFactory"/>), so every 429 is seen here.
/// </summary>
public sealed partial class OutboundSender(
    ITelegramBotClient bot,
    BotApiTransport transport,
    SendRateLimits limits,
    UnreachableChats unreachable,
    IOptions<TelegramOptions> options,
    TimeProvider clock,
    ILogger<OutboundSender> logger)
{
    readonly TelegramOptions settings = options.Value;

    public async Task<SendOutcome> SendMessageAsync(long chatId, string text, InlineKeyboardMarkup? keyboard, ParseMode parseMode, CancellationToken cancellationToken) =>
        (await SendAsync(chatId, text, keyboard, parseMode, cancellationToken)).Outcome;

    /// <summary>
    /// Sends <paramref name="text"/>, split at line boundaries into messages of at most 4,096 characters
    /// (<see cref="MessageText"/>), the keyboard under the last one; stops at the first part that is not sent.
    /// </summary>
    public Task<SentMessage> SendAsync(long chatId, string text, InlineKeyboardMarkup? keyboard, ParseMode parseMode, CancellationToken cancellationToken) =>
        SendAsync(chatId, text, keyboard, parseMode, null, cancellationToken);

    /// <summary>
    /// Sends <paramref name="text"/> as <see cref="SendAsync(long, string, InlineKeyboardMarkup?, ParseMode, CancellationToken)"/>
    /// does, each part a reply to the chat's message <paramref name="replyTo"/> (null: none), or no reply once it is gone.
    /// </summary>
    public async Task<SentMessage> SendAsync(long chatId, string text, InlineKeyboardMarkup? keyboard, ParseMode parseMode, int? replyTo, CancellationToken cancellationToken)
    {
        var parts = MessageText.Split(text, parseMode);
        var sent = new SentMessage(SendOutcome.Failed, null);
        for (var i = 0; i < parts.Count; i++)
        {
            var part = parts[i];
            var markup = i == parts.Count - 1 ? keyboard : null;
            sent = await DeliverAsync("sendMessage", chatId, limited: true,
                async ct => await transport.SendAsync(new SendMessageForId(chatId, part, parseMode, markup, replyTo), ct), cancellationToken);
            if (sent.Outcome != SendOutcome.Sent)
            {
                return sent;
            }
        }
        return sent;
    }

    /// <summary>Edits a message of the bot in place; an edit that changes nothing counts as sent.</summary>
    public Task<SentMessage> EditAsync(long chatId, int messageId, string text, InlineKeyboardMarkup? keyboard, ParseMode parseMode, CancellationToken cancellationToken) =>
        DeliverAsync("editMessageText", chatId, limited: true,
            async ct => await transport.SendAsync(new EditMessageForId(chatId, messageId, MessageText.Truncate(text, parseMode), parseMode, keyboard), ct), cancellationToken);

    /// <summary>Answers a callback query (stops the button's spinner). Not rate-limited; a query already answered or too old is <see cref="SendOutcome.Failed"/>.</summary>
    public async Task<SendOutcome> AnswerCallbackAsync(long chatId, string callbackQueryId, string? text, CancellationToken cancellationToken) =>
        (await DeliverAsync("answerCallbackQuery", chatId, limited: false,
            async ct => { await bot.AnswerCallbackQuery(callbackQueryId, text, cancellationToken: ct); return null; }, cancellationToken)).Outcome;

    async Task<SentMessage> DeliverAsync(string method, long chatId, bool limited, Func<CancellationToken, Task<int?>> call, CancellationToken cancellationToken)
    {
        using var activity = BotTelemetry.Source.StartActivity(method, ActivityKind.Client);
        activity?.SetTag("telegram.chat_id", chatId);
        var failures = 0;
        var rateLimited = 0;
        while (true)
        {
            if (limited)
            {
                await limits.WaitAsync(chatId, cancellationToken);
            }
            try
            {
                var messageId = await call(cancellationToken);
                Count("sent");
                return new(SendOutcome.Sent, messageId);
            }
            catch (ApiRequestException e) when (e.ErrorCode == 429)
            {
                Count("429");
                var wait = RetryAfter.Wait(e.Parameters?.RetryAfter);
                if (++rateLimited > settings.MaxRateLimitedRetries)
                {
                    LogGaveUp(logger, chatId, "429");
                    return new(Failed(activity), null, $"429 Too Many Requests after {rateLimited} tries");
                }
                LogRateLimited(logger, chatId, (int)wait.TotalSeconds);
                await Task.Delay(wait, clock, cancellationToken);
            }
            catch (ApiRequestException e) when (e.ErrorCode == 403)
            {
                Count("403");
                LogBlocked(logger, chatId);
                await unreachable.MarkAsync(chatId);
                activity?.SetTag("telegram.outcome", "blocked");
                return new(SendOutcome.Blocked, null);
            }
            catch (ApiRequestException e) when (e.ErrorCode == 400 && e.Message.Contains("message is not modified", StringComparison.OrdinalIgnoreCase))
            {
                Count("sent");
                return new(SendOutcome.Sent, null);
            }
            catch (Exception e) when (IsTransient(e) && !cancellationToken.IsCancellationRequested)
            {
                if (++failures >= settings.MaxSendAttempts)
                {
                    Count("failed");
                    LogGaveUp(logger, chatId, Describe(e));
                    return new(Failed(activity), null, $"{Describe(e)} after {failures} tries");
                }
                var delay = settings.SendRetryDelay * Math.Pow(2, failures - 1);
                LogRetrying(logger, chatId, Describe(e), failures);
                await Task.Delay(delay, clock, cancellationToken);
            }
            catch (ApiRequestException e)
            {
                Count("failed");
                LogRejected(logger, method, chatId, e.ErrorCode);
                // Telegram's description (never the request, so never the token): what an operator needs to tell a
                // refusal to fix (chat not found, can't parse entities) from an outage.
                return new(Failed(activity), null, $"Telegram refused {method} with {e.ErrorCode} {e.Message}");
            }
        }
    }

    static SendOutcome Failed(Activity? activity)
    {
        activity?.SetStatus(ActivityStatusCode.Error);
        return SendOutcome.Failed;
    }

    static bool IsTransient(Exception e) => e switch
    {
        ApiRequestException api => api.ErrorCode >= 500,
        RequestException => true,
        HttpRequestException => true,
        TaskCanceledException => true, // HttpClient timeout
        _ => false,
    };

    // The exception message of a network failure may carry the request URL, which holds the token: never log it.
    static string Describe(Exception e) => e switch
    {
        ApiRequestException api => api.ErrorCode.ToString(System.Globalization.CultureInfo.InvariantCulture),
        RequestException { HttpStatusCode: { } status } => ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => e.GetType().Name,
    };

    static void Count(string outcome) => BotTelemetry.Sends.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    [LoggerMessage(1, LogLevel.Warning, "Telegram rate-limited sending to chat {ChatId}; retrying after {RetryAfter} s")]
    static partial void LogRateLimited(ILogger logger, long chatId, int retryAfter);

    [LoggerMessage(2, LogLevel.Information, "Chat {ChatId} blocked the bot (403); marked unreachable")]
    static partial void LogBlocked(ILogger logger, long chatId);

    [LoggerMessage(3, LogLevel.Warning, "Sending to chat {ChatId} failed ({Error}), try {Attempt}; retrying")]
    static partial void LogRetrying(ILogger logger, long chatId, string error, int attempt);

    [LoggerMessage(4, LogLevel.Error, "Sending to chat {ChatId} failed for good ({Error})")]
    static partial void LogGaveUp(ILogger logger, long chatId, string error);

    [LoggerMessage(5, LogLevel.Warning, "Telegram rejected {Method} to chat {ChatId} with {ErrorCode}")]
    static partial void LogRejected(ILogger logger, string method, long chatId, int errorCode);
}
