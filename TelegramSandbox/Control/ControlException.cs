namespace Mesh.TelegramSandbox.Control;

/// <summary>A control API request that cannot be done; answered as ProblemDetails with <see cref="StatusCode"/>.</summary>
public sealed class ControlException(int statusCode, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
}
