using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Mesh.Gateway.Operator;

/// <summary>What an <c>Authorization</c> header amounts to.</summary>
public enum OperatorCredential
{
    Missing,
    Malformed,
    Wrong,
    Valid,
}

/// <summary>
/// Checks <c>Authorization: Bearer &lt;token&gt;</c> against <c>Gateway:OperatorTokens</c> in constant time: the presented
/// token and every configured one are compared as SHA-256 hashes (same length whatever the input) with
/// <see cref="CryptographicOperations.FixedTimeEquals"/>, every configured token every time. Only hashes are kept.
/// </summary>
public sealed class OperatorTokens(IOptions<OperatorOptions> options)
{
    const int MaxTokenLength = 512;

    readonly byte[][] hashes = [.. options.Value.OperatorTokens.Where(t => !string.IsNullOrEmpty(t)).Select(Hash)];

    public bool IsEmpty => hashes.Length == 0;

    public OperatorCredential Check(string? authorization)
    {
        if (string.IsNullOrWhiteSpace(authorization))
        {
            return OperatorCredential.Missing;
        }
        const string Scheme = "Bearer ";
        if (!authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return OperatorCredential.Malformed;
        }
        var token = authorization[Scheme.Length..].Trim();
        if (token.Length == 0 || token.Length > MaxTokenLength || token.Any(char.IsWhiteSpace))
        {
            return OperatorCredential.Malformed;
        }
        var presented = Hash(token);
        var match = false;
        foreach (var hash in hashes)
        {
            match |= CryptographicOperations.FixedTimeEquals(presented, hash);
        }
        return match ? OperatorCredential.Valid : OperatorCredential.Wrong;
    }

    static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
