using System.Text.Json.Nodes;
using Mesh.TelegramSandbox.BotApi;
using Mesh.TelegramSandbox.Bots;
using Microsoft.Extensions.Options;

namespace Mesh.TelegramSandbox.Polling;

/// <summary>
/// getUpdates with long polling: offset confirms, limit 1–100, timeout waits for the first update. A newer request
/// terminates a waiting one with 409, and polling is refused while a webhook is set, as Telegram does.
/// </summary>
public sealed class GetUpdatesMethod(TimeProvider clock, IOptions<SandboxOptions> options) : IBotApiMethods
{
    public const string WebhookActive = "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first";
    public const string Terminated = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running";
    private const int MaxTimeoutSeconds = 50;

    private readonly TimeSpan retention = options.Value.UpdateRetention;

    public void Map(BotApiRouter router) => router.Method("getUpdates", GetUpdatesAsync);

    private async ValueTask<BotApiResult> GetUpdatesAsync(BotApiCall call)
    {
        var (bot, args) = (call.Bot, call.Args);
        var offset = args.Long("offset");
        var limit = Math.Clamp(args.Int("limit") ?? 100, 1, 100);
        var timeout = TimeSpan.FromSeconds(Math.Clamp(args.Int("timeout") ?? 0, 0, MaxTimeoutSeconds));
        var allowed = args.Array("allowed_updates", "can't parse allowed updates JSON array");

        CancellationTokenSource mine = new();
        CancellationTokenSource? previous;
        lock (bot.Sync)
        {
            if (bot.Webhook is not null) throw new BotApiException(409, WebhookActive);
            if (allowed is not null) bot.AllowedUpdates = [.. allowed.Select(a => a?.ToString() ?? "")];
            Confirm(bot, offset);
            previous = bot.ActivePoll;
            bot.ActivePoll = mine;
        }
        previous?.Cancel();

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(call.Cancellation, mine.Token);
        var deadline = clock.GetUtcNow() + timeout;
        try
        {
            while (true)
            {
                long seen;
                lock (bot.Sync)
                {
                    if (mine.IsCancellationRequested) throw new BotApiException(409, Terminated);
                    if (bot.Webhook is not null) throw new BotApiException(409, WebhookActive);
                    bot.DropExpired(clock.GetUtcNow(), retention);
                    var batch = bot.Updates.Where(u => !u.InFlight).Take(limit).Select(u => (JsonNode)u.ToJson()).ToArray();
                    if (batch.Length > 0) return new BotApiResult(new JsonArray(batch));
                    seen = bot.UpdatesChanged.Version;
                }
                var remaining = deadline - clock.GetUtcNow();
                if (remaining <= TimeSpan.Zero) return new BotApiResult(new JsonArray());
                await bot.UpdatesChanged.WaitAsync(seen, remaining, linked.Token);
            }
        }
        catch (OperationCanceledException) when (mine.IsCancellationRequested && !call.Cancellation.IsCancellationRequested)
        {
            throw new BotApiException(409, Terminated);
        }
        finally
        {
            lock (bot.Sync)
            {
                if (bot.ActivePoll == mine) bot.ActivePoll = null;
            }
        }
    }

    /// <summary>Forgets updates before <paramref name="offset"/>; a negative offset keeps only the last -offset.</summary>
    private static void Confirm(SandboxBot bot, long? offset)
    {
        if (offset is not { } value || value == 0) return;
        var removed = value > 0
            ? bot.Updates.RemoveAll(u => u.UpdateId < value && !u.InFlight)
            : Math.Max(0, bot.Updates.Count - (int)Math.Min(-value, int.MaxValue)) is var drop && drop > 0
                ? RemoveFirst(bot.Updates, drop)
                : 0;
        if (removed > 0) bot.UpdatesChanged.Pulse();
    }

    private static int RemoveFirst(List<PendingUpdate> updates, int count)
    {
        updates.RemoveRange(0, count);
        return count;
    }
}
