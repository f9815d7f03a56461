using System.Buffers;
using System.IO.Pipelines;
using Google.Protobuf;
using Grpc.Core;
using Mesh.Bot.Grpc;

namespace Mesh.Gateway.Webhook;

/// <summary>
/// <c>POST /telegram/webhook</c>: secret (401), size (413), update_id (400), then <c>TelegramUpdates.Accept</c> with the
/// raw body and 200 once the bot says Accepted or Duplicate; 503 when the bot service or its Redis is unavailable,
/// so Telegram delivers again. The body is read once into a pooled buffer and handed to gRPC without another copy.
/// </summary>
public sealed partial class TelegramWebhookEndpoint(
    WebhookSecret secret,
    TelegramUpdates.TelegramUpdatesClient bot,
    ILogger<TelegramWebhookEndpoint> logger)
{
    public const string Route = "/telegram/webhook";
    public const int MaxBodyBytes = 1024 * 1024;

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        if (!secret.Matches(request.Headers[WebhookSecret.Header]))
        {
            response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }
        if (request.ContentLength > MaxBodyBytes)
        {
            response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            return;
        }

        var reader = request.BodyReader;
        ReadResult read;
        while (true)
        {
            read = await reader.ReadAsync(context.RequestAborted);
            if (read.Buffer.Length > MaxBodyBytes)
            {
                reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                return;
            }
            if (read.IsCompleted)
            {
                break;
            }
            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }

        var body = read.Buffer;
        byte[]? rented = null;
        try
        {
            if (!UpdateEnvelope.TryRead(body, out var envelope))
            {
                response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }
            ReadOnlyMemory<byte> json;
            if (body.IsSingleSegment)
            {
                json = body.First;
            }
            else
            {
                rented = ArrayPool<byte>.Shared.Rent((int)body.Length);
                body.CopyTo(rented);
                json = rented.AsMemory(0, (int)body.Length);
            }
            response.StatusCode = await AcceptAsync(envelope, json, context.RequestAborted);
        }
        finally
        {
            reader.AdvanceTo(body.End);
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    async Task<int> AcceptAsync(UpdateEnvelope envelope, ReadOnlyMemory<byte> json, CancellationToken cancellationToken)
    {
        try
        {
            // The body stays untouched until the call returns, so it is wrapped, not copied.
            var reply = await bot.AcceptAsync(new AcceptRequest
            {
                UpdateId = envelope.UpdateId,
                ChatId = envelope.ChatId,
                UpdateJson = UnsafeByteOperations.UnsafeWrap(json),
            }, cancellationToken: cancellationToken);
            return reply.Status is AcceptStatus.Accepted or AcceptStatus.Duplicate
                ? StatusCodes.Status200OK
                : StatusCodes.Status503ServiceUnavailable;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.InvalidArgument)
        {
            return StatusCodes.Status400BadRequest;
        }
        catch (RpcException e)
        {
            LogBotUnavailable(logger, envelope.UpdateId, e.StatusCode);
            return StatusCodes.Status503ServiceUnavailable;
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "Update {UpdateId} not accepted: bot service answered {GrpcStatus}; Telegram will re-deliver")]
    static partial void LogBotUnavailable(ILogger logger, long updateId, StatusCode grpcStatus);
}
