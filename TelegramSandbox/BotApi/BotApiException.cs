namespace Mesh.TelegramSandbox.BotApi;

/// <summary>An error answered the way Telegram answers it: <c>{"ok":false,"error_code":…,"description":…}</c>.</summary>
public sealed class BotApiException(int errorCode, string description, int? retryAfter = null) : Exception(description)
{
    public int ErrorCode { get; } = errorCode;
    public string Description { get; } = description;
    public int? RetryAfter { get; } = retryAfter;

    public static BotApiException BadRequest(string what) => new(400, "Bad Request: " + what);

    /// <summary>Telegram's one answer for a query (callback or pre-checkout) never issued, answered already, or past its timeout.</summary>
    public static BotApiException QueryTooOld() => BadRequest("query is too old and response timeout expired or query ID is invalid");

    public static BotApiException TooManyRequests(int retryAfter) => new(429, $"Too Many Requests: retry after {retryAfter}", retryAfter);
}
