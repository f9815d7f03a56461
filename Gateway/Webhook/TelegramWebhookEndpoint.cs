using System.Buffers;
using System.IO.Pipelines;

namespace Mesh.Gateway.Webhook;

/// <summary>
/// <c>POST /telegram/webhook</c>: secret (401), size (413), update_id (400), then the raw body to the bot service
/// (<see cref="UpdateBatcher"/>: <c>TelegramUpdates.AcceptBatch</c> with the updates arriving meanwhile) and 200 once
/// the bot says Accepted or Duplicate; 503 when the bot service or its Redis is unavailable, so Telegram delivers
/// again. The body is read once (into a pooled buffer only when it came in pieces) and handed on without another copy.
/// </summary>
public sealed class TelegramWebhookEndpoint(
    WebhookSecret secret,
    UpdateBatcher batcher)
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
            // The body stays untouched until the batcher answers (it answers only once the update was sent or withdrawn
            // unsent), so it is handed over without a copy.
            response.StatusCode = await batcher.AcceptAsync(envelope, json, context.RequestAborted) switch
            {
                AcceptOutcome.Queued or AcceptOutcome.Duplicate => StatusCodes.Status200OK,
                AcceptOutcome.Invalid => StatusCodes.Status400BadRequest,
                _ => StatusCodes.Status503ServiceUnavailable,
            };
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
}
