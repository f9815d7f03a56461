using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace Mesh.Bot.Updates;

/// <summary>
/// A Lua script of the update path, run by its SHA1 (<c>EVALSHA</c>), computed once. Given the script's text, the Redis
/// client looks the SHA1 up in a table keyed by that text on every call, hashing the whole script (kilobytes) each time;
/// this skips that. When Redis does not have the script (restarted, or its script cache flushed), the call is made once
/// with the text, which loads it, and the SHA1 serves again after that.
/// </summary>
public sealed class RedisScript(string text)
{
    readonly byte[] sha1 = SHA1.HashData(Encoding.UTF8.GetBytes(text));

    public async Task<RedisResult> EvaluateAsync(IDatabaseAsync db, RedisKey[] keys, RedisValue[] values)
    {
        try
        {
            return await db.ScriptEvaluateAsync(sha1, keys, values);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            return await db.ScriptEvaluateAsync(text, keys, values);
        }
    }
}
