using System.Net.Http.Headers;
using System.Text.Json;
using Mesh.TelegramSandbox.BotApi;
using Mesh.TelegramSandbox.Bots;
using Microsoft.Extensions.Options;

namespace Mesh.TelegramSandbox.Webhooks;

/// <summary>
/// Delivers each bot's pending updates to its webhook as Telegram does: a JSON POST with the secret header, at most
/// max_connections at once, one chat's updates one at a time and in order, failures retried with exponential
/// back-off and recorded as the last error, updates past the retention dropped. A Bot API call in a successful answer
/// (<see cref="WebhookReply"/>) is performed before the chat's next update goes out, through the same code as an HTTP
/// call (checks, flood limits, fault switch, call counts); its result goes to no one, and when it fails the delivery
/// still counts as done: the update is not sent again and no error is recorded, as Telegram ignores it.
/// </summary>
public sealed partial class WebhookDelivery : IDisposable
{
    public const string SecretHeader = "X-Telegram-Bot-Api-Secret-Token";

    private readonly SandboxOptions options;
    private readonly TimeProvider clock;
    private readonly ILogger<WebhookDelivery> logger;
    private readonly CancellationTokenSource stopping = new();
    private readonly HttpClient http = new(new SocketsHttpHandler
    {
        UseProxy = false,
        // Telegram does not follow a redirect: a 3xx is a wrong response, recorded and retried.
        AllowAutoRedirect = false,
        MaxConnectionsPerServer = 256,
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        ConnectTimeout = TimeSpan.FromSeconds(5),
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    // The Bot API's endpoint is taken from the services when first needed: it depends, through the methods, on this.
    private readonly IServiceProvider services;

    public WebhookDelivery(IOptions<SandboxOptions> options, TimeProvider clock, IServiceProvider services, ILogger<WebhookDelivery> logger)
    {
        this.options = options.Value;
        this.services = services;
        this.clock = clock;
        this.logger = logger;
        http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("TelegramSandbox", "1.0"));
    }

    /// <summary>Starts the bot's delivery loop unless it runs; the loop ends when the webhook is deleted.</summary>
    public void EnsureRunning(SandboxBot bot)
    {
        lock (bot.Sync)
        {
            if (bot.DeliveryLoopRunning || bot.Webhook is null) return;
            bot.DeliveryLoopRunning = true;
        }
        // Not in the context of the request that set the webhook: each delivery starts a trace of its own, as
        // Telegram's do, instead of every update joining the setWebhook call's trace.
        using (ExecutionContext.SuppressFlow())
        {
            _ = Task.Run(() => RunAsync(bot, stopping.Token));
        }
    }

    private async Task RunAsync(SandboxBot bot, CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var now = clock.GetUtcNow();
                var start = new List<PendingUpdate>();
                WebhookState hook;
                long seen;
                var wake = TimeSpan.FromSeconds(30);
                lock (bot.Sync)
                {
                    if (bot.Webhook is null)
                    {
                        bot.DeliveryLoopRunning = false;
                        return;
                    }
                    hook = bot.Webhook;
                    bot.DropExpired(now, options.UpdateRetention);
                    seen = bot.UpdatesChanged.Version;
                    var heads = new HashSet<long>();
                    foreach (var update in bot.Updates)
                    {
                        if (!heads.Add(update.ChatId ?? -update.UpdateId) || update.InFlight) continue;
                        if (update.NextAttemptAt > now)
                        {
                            var wait = update.NextAttemptAt - now;
                            if (wait < wake) wake = wait;
                            continue;
                        }
                        if (bot.WebhookInFlight >= hook.MaxConnections) break;
                        update.InFlight = true;
                        bot.WebhookInFlight++;
                        start.Add(update);
                    }
                }
                foreach (var update in start) _ = DeliverAsync(bot, hook, update, ct);
                await bot.UpdatesChanged.WaitAsync(seen, wake, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            lock (bot.Sync) bot.DeliveryLoopRunning = false;
        }
    }

    private async Task DeliverAsync(SandboxBot bot, WebhookState hook, PendingUpdate update, CancellationToken ct)
    {
        string? error = null;
        WebhookReply? reply = null;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(options.Webhook.TimeoutSeconds));
            using var request = new HttpRequestMessage(HttpMethod.Post, hook.Url)
            {
                Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(update.ToJson())),
            };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            if (hook.SecretToken is not null) request.Headers.TryAddWithoutValidation(SecretHeader, hook.SecretToken);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (!response.IsSuccessStatusCode)
                error = $"Wrong response from the webhook: {(int)response.StatusCode} {response.ReasonPhrase}";
            else
                reply = await ReadReplyAsync(response, ct, timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            error = "Read timeout expired";
        }
        catch (HttpRequestException e)
        {
            error = e.HttpRequestError switch
            {
                HttpRequestError.ConnectionError => "Connection refused",
                HttpRequestError.NameResolutionError => "Failed to resolve host: Name or service not known",
                _ => "Connection reset by peer",
            };
        }
        catch (OperationCanceledException)
        {
            return;
        }
        catch (Exception)
        {
            // Anything else (an I/O error the handler did not wrap, a refused TLS handshake): a failed delivery like the
            // others, so that the update is retried and its chat's slot freed.
            error = "Connection reset by peer";
        }

        if (reply is not null) await PerformAsync(bot, update, reply, ct);

        var now = clock.GetUtcNow();
        lock (bot.Sync)
        {
            bot.WebhookInFlight--;
            update.InFlight = false;
            if (error is null || update.Dropped)
            {
                bot.Updates.Remove(update);
            }
            else
            {
                update.Attempts++;
                var delay = Math.Min(options.Webhook.RetryMaxSeconds, options.Webhook.RetryInitialSeconds * Math.Pow(2, update.Attempts - 1));
                update.NextAttemptAt = now + TimeSpan.FromSeconds(delay);
                bot.LastErrorDate = now.ToUnixTimeSeconds();
                bot.LastErrorMessage = error;
            }
            bot.UpdatesChanged.Pulse();
        }
        if (error is null) LogDelivered(logger, bot.Id, update.UpdateId);
        else LogFailed(logger, bot.Id, update.UpdateId, update.Attempts, error);
    }

    /// <summary>
    /// The call in a 2xx answer, or null. The status delivered the update; a body that breaks off or comes too late (the
    /// delivery's timeout) only loses its call, as a call that fails would: it never makes the update a failed delivery,
    /// to be sent again.
    /// </summary>
    private static async Task<WebhookReply?> ReadReplyAsync(HttpResponseMessage response, CancellationToken stopping, CancellationToken timeout)
    {
        try
        {
            return await WebhookReply.ReadAsync(response, timeout);
        }
        catch (Exception e) when (e is IOException or HttpRequestException || e is OperationCanceledException && !stopping.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>The call in a webhook's answer; its failure is logged and otherwise ignored, as Telegram ignores it.</summary>
    private async Task PerformAsync(SandboxBot bot, PendingUpdate update, WebhookReply reply, CancellationToken ct)
    {
        try
        {
            await services.GetRequiredService<BotApiEndpoint>().InvokeAsync(bot, reply.Method, _ => Task.FromResult(reply.Args), ct);
            LogReplyPerformed(logger, bot.Id, update.UpdateId, reply.Method);
        }
        catch (BotApiException e)
        {
            LogReplyRefused(logger, bot.Id, update.UpdateId, reply.Method, e.Description);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // Never the delivery's failure: the update's slot must be freed whatever the call did.
            LogReplyFailed(logger, e, bot.Id, update.UpdateId, reply.Method);
        }
    }

    public void Dispose()
    {
        stopping.Cancel();
        http.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Delivered update {UpdateId} of bot {BotId} to its webhook")]
    private static partial void LogDelivered(ILogger logger, long botId, long updateId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Performed {Method} from the webhook's answer to update {UpdateId} of bot {BotId}")]
    private static partial void LogReplyPerformed(ILogger logger, long botId, long updateId, string method);

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused {Method} from the webhook's answer to update {UpdateId} of bot {BotId} (ignored, as Telegram does): {Error}")]
    private static partial void LogReplyRefused(ILogger logger, long botId, long updateId, string method, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Failed {Method} from the webhook's answer to update {UpdateId} of bot {BotId}")]
    private static partial void LogReplyFailed(ILogger logger, Exception exception, long botId, long updateId, string method);

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook of bot {BotId} failed update {UpdateId} (attempt {Attempt}): {Error}")]
    private static partial void LogFailed(ILogger logger, long botId, long updateId, int attempt, string error);
}
