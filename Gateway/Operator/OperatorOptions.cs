using Microsoft.Extensions.Options;

namespace Mesh.Gateway.Operator;

/// <summary>The gateway's <c>Gateway</c> section: who may use the operator API, and how often.</summary>
public sealed class OperatorOptions
{
    public const string Section = "Gateway";

    /// <summary>Bearer tokens accepted on the operator API (<c>Gateway__OperatorTokens__0</c>, <c>__1</c>…). Never logged.</summary>
    public List<string> OperatorTokens { get; set; } = [];

    /// <summary>Operator API requests allowed per client address in each <see cref="OperatorRateWindow"/>, whatever their outcome.</summary>
    public int OperatorRateLimit { get; set; } = 60;

    public TimeSpan OperatorRateWindow { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>Outside Development the operator API needs at least one token; tokens must be long enough to resist guessing.</summary>
public sealed class OperatorOptionsValidator(IHostEnvironment environment) : IValidateOptions<OperatorOptions>
{
    const int MinTokenLength = 16;

    public ValidateOptionsResult Validate(string? name, OperatorOptions options)
    {
        var failures = new List<string>();
        var tokens = options.OperatorTokens.Where(t => !string.IsNullOrEmpty(t)).ToList();
        if (tokens.Count == 0 && !environment.IsDevelopment())
        {
            failures.Add($"{OperatorOptions.Section}:{nameof(OperatorOptions.OperatorTokens)} needs at least one token outside Development (Gateway__OperatorTokens__0).");
        }
        if (tokens.Any(t => t.Length < MinTokenLength))
        {
            failures.Add($"{OperatorOptions.Section}:{nameof(OperatorOptions.OperatorTokens)}: every token must be at least {MinTokenLength} characters.");
        }
        if (options.OperatorRateLimit < 1 || options.OperatorRateWindow <= TimeSpan.Zero)
        {
            failures.Add($"{OperatorOptions.Section}:{nameof(OperatorOptions.OperatorRateLimit)} and {nameof(OperatorOptions.OperatorRateWindow)} must be positive.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
