using System.Text.Json.Nodes;
using Mesh.TelegramSandbox.Bots;

namespace Mesh.TelegramSandbox.BotApi;

/// <summary>One Bot API call: the bot, its parameters and the request's cancellation.</summary>
public sealed record BotApiCall(SandboxBot Bot, ApiArgs Args, CancellationToken Cancellation);

/// <summary>A successful result and the optional <c>description</c> Telegram adds to some (setWebhook).</summary>
public sealed record BotApiResult(JsonNode? Result, string? Description = null)
{
    public static BotApiResult True => new(JsonValue.Create(true));
}

public delegate ValueTask<BotApiResult> BotApiHandler(BotApiCall call);

/// <summary>A group of Bot API methods that declares its routes.</summary>
public interface IBotApiMethods
{
    void Map(BotApiRouter router);
}

/// <summary>Method name → handler, case-insensitive like Telegram.</summary>
public sealed class BotApiRouter
{
    private readonly Dictionary<string, BotApiHandler> handlers = new(StringComparer.OrdinalIgnoreCase);

    public BotApiRouter(IEnumerable<IBotApiMethods> groups)
    {
        foreach (var group in groups) group.Map(this);
    }

    public void Method(string name, BotApiHandler handler) => handlers[name] = handler;

    public BotApiHandler? Find(string method) => handlers.GetValueOrDefault(method);
}
