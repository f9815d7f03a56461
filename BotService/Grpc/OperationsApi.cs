using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Bot.Operations;
using Mesh.Bot.Telegram;
using Telegram.Bot.Exceptions;
using Operator = Mesh.Bot.Operations.BotOperations;

namespace Mesh.Bot.Grpc;

/// <summary><c>BotOperations</c>: the operator actions over gRPC (the gateway's operator API). Maps, and translates failures to statuses.</summary>
public sealed class OperationsApi(Operator operations) : BotOperations.BotOperationsBase
{
    public override Task<BotStatusReply> GetStatus(GetStatusRequest request, ServerCallContext context) =>
        TranslateAsync(async () =>
        {
            var status = await operations.GetStatusAsync(context.CancellationToken);
            var reply = new BotStatusReply
            {
                Mode = status.Mode,
                WebhookUrl = status.WebhookUrl,
                PendingUpdateCount = status.PendingUpdateCount,
                LastErrorDate = status.LastErrorDate is { } date ? Timestamp.FromDateTimeOffset(date) : null,
                LastErrorMessage = status.LastErrorMessage ?? "",
                TelegramError = status.TelegramError ?? "",
                QueueDepth = status.QueueDepth,
                OldestQueuedUpdateAge = status.OldestQueuedUpdateAge is { } age ? Duration.FromTimeSpan(age) : null,
                LeasesHeld = status.LeasesHeld,
                PollingLeader = status.PollingLeader ?? "",
                DeadLettered = status.DeadLettered,
            };
            reply.WebhookDifferences.AddRange(status.WebhookDifferences);
            return reply;
        });

    public override Task<WebhookReply> SetupWebhook(SetupWebhookRequest request, ServerCallContext context) =>
        TranslateAsync(async () => Reply(await operations.SetupWebhookAsync(context.CancellationToken)));

    public override Task<WebhookReply> DeleteWebhook(DeleteWebhookRequest request, ServerCallContext context) =>
        TranslateAsync(async () => Reply(await operations.DeleteWebhookAsync(context.CancellationToken)));

    public override Task<ClearConversationsReply> ClearConversations(ClearConversationsRequest request, ServerCallContext context) =>
        TranslateAsync(async () =>
        {
            var cleared = await operations.ClearConversationsAsync(request.OlderThan?.ToTimeSpan(), context.CancellationToken);
            return new ClearConversationsReply { DialogsReset = cleared.DialogsReset, UsersTold = cleared.UsersTold };
        });

    static WebhookReply Reply(WebhookChange change) => new() { Changed = change.Changed, Url = change.Url };

    /// <summary>Telegram unreachable → Unavailable; not possible in this mode → FailedPrecondition. Redis failures are the interceptor's.</summary>
    static async Task<T> TranslateAsync<T>(Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (WebhookNotConfiguredException e)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, e.Message));
        }
        catch (ArgumentOutOfRangeException)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"older_than must be positive and at most {Age.MaxInWords}"));
        }
        catch (ApiRequestException e)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"The Bot API refused the call: {e.ErrorCode} {e.Message}"));
        }
        catch (Exception e) when (e is RequestException or HttpRequestException or TaskCanceledException)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "The Bot API is unreachable."));
        }
    }
}
