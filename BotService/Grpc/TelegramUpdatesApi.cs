using Grpc.Core;
using Mesh.Bot.Updates;

namespace Mesh.Bot.Grpc;

/// <summary><c>TelegramUpdates</c>: checks the input and hands the raw updates to the intake, without copying them.</summary>
public sealed class TelegramUpdatesApi(UpdateIntake intake) : TelegramUpdates.TelegramUpdatesBase
{
    public override async Task<AcceptReply> Accept(AcceptRequest request, ServerCallContext context)
    {
        if (request.UpdateId <= 0 || request.UpdateJson.IsEmpty)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "update_id and update_json are required"));
        }
        var accepted = await intake.AcceptAsync(request.UpdateId, request.ChatId, request.UpdateJson.Memory);
        return accepted ? Accepted : Duplicate;
    }

    /// <summary>
    /// The gateway's group commit: every valid item goes to the intake in one Redis round trip; an invalid one is
    /// answered INVALID on its own, so one bad update does not cost its batch-mates their acknowledgement.
    /// </summary>
    public override async Task<AcceptBatchReply> AcceptBatch(AcceptBatchRequest request, ServerCallContext context)
    {
        var items = request.Updates;
        var statuses = new AcceptStatus[items.Count];
        var valid = new List<IncomingUpdate>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            if (item.UpdateId <= 0 || item.UpdateJson.IsEmpty)
            {
                statuses[i] = AcceptStatus.Invalid;
                continue;
            }
            valid.Add(new IncomingUpdate(item.UpdateId, item.ChatId, item.UpdateJson.Memory, item.Traceparent));
        }

        var accepted = valid.Count == 0 ? [] : await intake.AcceptManyAsync(valid);
        var reply = new AcceptBatchReply();
        for (int i = 0, next = 0; i < statuses.Length; i++)
        {
            reply.Statuses.Add(statuses[i] == AcceptStatus.Invalid ? AcceptStatus.Invalid
                : accepted[next++] ? AcceptStatus.Accepted : AcceptStatus.Duplicate);
        }
        return reply;
    }

    static readonly AcceptReply Accepted = new() { Status = AcceptStatus.Accepted };
    static readonly AcceptReply Duplicate = new() { Status = AcceptStatus.Duplicate };
}
