using Mesh.TelegramSandbox.BotApi;
using Microsoft.AspNetCore.Http;

namespace Mesh.TelegramSandbox.Webhooks;

/// <summary>
/// A Bot API call in a webhook's answer. Telegram: "If you're using webhooks, you can perform a request to the Bot API
/// while sending an answer to the webhook. Use either application/json or application/x-www-form-urlencoded or
/// multipart/form-data response content type for passing parameters. Specify the method to be invoked in the method
/// parameter of the request. It's not possible to know that such a request was successful or get its result."
/// (core.telegram.org/bots/api#making-requests-when-getting-updates). The parameters are read exactly as an HTTP call's
/// (<see cref="ApiArgs"/>).
/// </summary>
public sealed record WebhookReply(string Method, ApiArgs Args)
{
    /// <summary>The most of an answer read; a bigger answer is not a call. Telegram does not document one; the sandbox's own bound.</summary>
    public const int MaxBytes = 1024 * 1024;

    /// <summary>The call in a successful webhook answer, or null when the answer has none (no body, no method, not one of the three types, unreadable).</summary>
    public static async Task<WebhookReply?> ReadAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var type = response.Content.Headers.ContentType?.MediaType;
        if (type is not ("application/json" or "application/x-www-form-urlencoded" or "multipart/form-data")) return null;
        if (response.Content.Headers.ContentLength is > MaxBytes) return null;
        var body = new MemoryStream();
        await using (var stream = await response.Content.ReadAsStreamAsync(ct))
        {
            var buffer = new byte[16 * 1024];
            int read;
            while ((read = await stream.ReadAsync(buffer, ct)) > 0)
            {
                if (body.Length + read > MaxBytes) return null;
                body.Write(buffer, 0, read);
            }
        }
        if (body.Length == 0) return null;
        body.Position = 0;

        var request = new DefaultHttpContext().Request;
        request.ContentType = response.Content.Headers.ContentType!.ToString();
        request.ContentLength = body.Length;
        request.Body = body;
        try
        {
            var args = await ApiArgs.ReadAsync(request, ct);
            return args.String("method") is { Length: > 0 } method ? new WebhookReply(method, args) : null;
        }
        catch (Exception e) when (e is BotApiException or InvalidDataException or IOException or FormatException)
        {
            return null;
        }
    }
}
