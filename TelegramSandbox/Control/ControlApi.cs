using Mesh.TelegramSandbox.BotApi;
using Mesh.TelegramSandbox.Bots;
using Mesh.TelegramSandbox.Client;

namespace Mesh.TelegramSandbox.Control;

/// <summary>
/// The sandbox's own API for tests and people, under <c>/sandbox/api</c>. <c>{bot}</c> is a bot id or a full token
/// (a token creates the bot on first use, like the Bot API).
/// </summary>
public static class ControlApi
{
    public const string Prefix = "/sandbox/api";
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(30);

    public static IEndpointRouteBuilder MapControlApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(Prefix).AddEndpointFilter(async (context, next) =>
        {
            try
            {
                return await next(context);
            }
            catch (ControlException e)
            {
                return Results.Problem(statusCode: e.StatusCode, detail: e.Message);
            }
        });

        api.MapGet("/bots", (BotRegistry registry) => registry.All.Select(ChatSnapshot.Bot).ToList());
        api.MapPost("/bots", (RegisterBotRequest request, BotRegistry registry) => ChatSnapshot.Bot(Resolve(registry, request.Token)));
        api.MapGet("/bots/{bot}/calls", (string bot, BotRegistry registry, CallCounter calls) =>
        {
            var found = Resolve(registry, bot);
            return new BotCalls(calls.Calls(found.Id), calls.Conflicts(found.Id), calls.RateLimited(found.Id));
        });
        api.MapGet("/bots/{bot}/chats", (string bot, BotRegistry registry) =>
        {
            var found = Resolve(registry, bot);
            lock (found.Sync) return found.Chats.Values.Select(ChatSnapshot.Summary).ToList();
        });
        api.MapGet("/bots/{bot}/chats/{chatId:long}", GetChatAsync);
        api.MapPost("/bots/{bot}/groups", (string bot, CreateGroupRequest request, BotRegistry registry, UserActions user) =>
            user.CreateGroup(Resolve(registry, bot), request));
        api.MapPost("/bots/{bot}/messages", (string bot, SendTextRequest request, BotRegistry registry, UserActions user) =>
            user.SendText(Resolve(registry, bot), request.User, request.Text, request.ReplyToMessageId, request.ChatId));
        api.MapPut("/bots/{bot}/messages/{messageId:int}", (string bot, int messageId, EditTextRequest request, BotRegistry registry, UserActions user) =>
            user.EditText(Resolve(registry, bot), request.User, messageId, request.Text, request.ChatId));
        api.MapDelete("/bots/{bot}/chats/{chatId:long}/messages/{messageId:int}", (string bot, long chatId, int messageId, long user, BotRegistry registry, UserActions actions) =>
        {
            actions.DeleteMessage(Resolve(registry, bot), chatId, user, messageId);
            return TypedResults.NoContent();
        });
        api.MapPost("/bots/{bot}/callbacks", (string bot, PressButtonRequest request, BotRegistry registry, UserActions user) =>
            user.PressButton(Resolve(registry, bot), request.User, request.MessageId, request.CallbackData, request.Text, request.ChatId));
        api.MapPut("/bots/{bot}/chats/{chatId:long}/blocked", (string bot, long chatId, BlockRequest request, BotRegistry registry, UserActions user) =>
        {
            user.SetBlocked(Resolve(registry, bot), chatId, request.Blocked);
            return TypedResults.NoContent();
        });
        api.MapPost("/bots/{bot}/payments", (string bot, PayInvoiceRequest request, BotRegistry registry, UserActions user) =>
            user.PayInvoice(Resolve(registry, bot), request.User, request.MessageId));
        api.MapGet("/bots/{bot}/payments/{queryId}", (string bot, string queryId, BotRegistry registry) =>
        {
            var found = Resolve(registry, bot);
            lock (found.Sync)
            {
                if (!found.PreCheckoutQueries.TryGetValue(queryId, out var query)) throw new ControlException(404, "pre-checkout query not found");
                return new PreCheckoutState(query.Id, query.Ok, query.ErrorMessage, query.PaymentMessageId);
            }
        });

        api.MapPut("/fault", (SetFaultRequest request, FaultSwitch faults) =>
        {
            if (request.StatusCode is not (429 or (>= 500 and <= 599))) throw new ControlException(400, "status code must be 429 or 5xx");
            faults.Set(request.StatusCode, TimeSpan.FromSeconds(request.Seconds), request.RetryAfter);
            return TypedResults.NoContent();
        });
        api.MapDelete("/fault", (FaultSwitch faults) =>
        {
            faults.Clear();
            return TypedResults.NoContent();
        });
        api.MapGet("/sink", (SinkCounter sink) => new SinkCount(sink.Count));
        api.MapDelete("/sink", (SinkCounter sink) =>
        {
            sink.Reset();
            return TypedResults.NoContent();
        });
        return app;
    }

    /// <summary>The chat's state; with <c>since</c>, waits up to <c>wait</c> seconds for a version other than it.</summary>
    private static async Task<SandboxChatState> GetChatAsync(
        string bot, long chatId, long? since, double? wait, BotRegistry registry, TimeProvider clock, CancellationToken ct)
    {
        var found = Resolve(registry, bot);
        var deadline = clock.GetUtcNow() + TimeSpan.FromSeconds(Math.Clamp(wait ?? 0, 0, MaxWait.TotalSeconds));
        try
        {
            while (true)
            {
                ChangeSignal signal;
                long seen;
                lock (found.Sync)
                {
                    var state = ChatSnapshot.Of(found, chatId, clock.GetUtcNow().ToUnixTimeSeconds());
                    if (since is null || state.Version != since) return state;
                    (signal, seen) = found.Chats.TryGetValue(chatId, out var chat)
                        ? (chat.Changed, chat.Changed.Version)
                        : (found.ChatsChanged, found.ChatsChanged.Version);
                }
                var remaining = deadline - clock.GetUtcNow();
                if (remaining <= TimeSpan.Zero)
                {
                    lock (found.Sync) return ChatSnapshot.Of(found, chatId, clock.GetUtcNow().ToUnixTimeSeconds());
                }
                await signal.WaitAsync(seen, remaining, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            lock (found.Sync) return ChatSnapshot.Of(found, chatId, clock.GetUtcNow().ToUnixTimeSeconds());
        }
    }

    private static SandboxBot Resolve(BotRegistry registry, string bot)
    {
        if (long.TryParse(bot, out var id)) return registry.Find(id) ?? throw new ControlException(404, "bot not found");
        return registry.Resolve(bot, out var found) switch
        {
            BotLookup.Found => found!,
            BotLookup.Malformed => throw new ControlException(400, "malformed bot token"),
            _ => throw new ControlException(401, "token not allowed by Sandbox:Tokens"),
        };
    }
}
