using Grpc.Core;
using Mesh.Bot.Updates;

namespace Mesh.Bot.Grpc;

/// <summary><c>TelegramUpdates.Accept</c>: checks the input and hands the raw update to the intake, without copying it.</summary>
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

    static readonly AcceptReply Accepted = new() { Status = AcceptStatus.Accepted };
    static readonly AcceptReply Duplicate = new() { Status = AcceptStatus.Duplicate };
}
