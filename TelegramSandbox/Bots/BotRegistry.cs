using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Mesh.TelegramSandbox.Bots;

/// <summary>All bots of this sandbox, created on first use of a well-formed token.</summary>
public sealed class BotRegistry(IOptions<SandboxOptions> options)
{
    private readonly ConcurrentDictionary<long, SandboxBot> bots = new();
    private readonly string[] allowedTokens = [.. options.Value.Tokens.Where(t => !string.IsNullOrWhiteSpace(t))];

    public IReadOnlyCollection<SandboxBot> All => [.. bots.Values.OrderBy(b => b.Id)];

    /// <summary>Finds or creates the bot of a token: <see cref="BotLookup.Malformed"/> → 404, <see cref="BotLookup.Unauthorized"/> → 401.</summary>
    public BotLookup Resolve(string? token, out SandboxBot? bot)
    {
        bot = null;
        if (!BotToken.TryParse(token, out var id)) return BotLookup.Malformed;
        if (allowedTokens.Length > 0 && !allowedTokens.Any(t => FixedTimeEquals(t, token!))) return BotLookup.Unauthorized;
        bot = bots.GetOrAdd(id, static (key, t) => new SandboxBot(key, t), token!);
        if (!FixedTimeEquals(bot.Token, token!))
        {
            bot = null;
            return BotLookup.Unauthorized;
        }
        return BotLookup.Found;
    }

    public SandboxBot? Find(long botId) => bots.GetValueOrDefault(botId);

    private static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));
}

public enum BotLookup
{
    Found,
    Malformed,
    Unauthorized,
}
