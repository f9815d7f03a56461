using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// A service that cannot start for its configuration says so in a few lines naming the keys, and exits with code 2 (as
/// the bot's command line does for a usage or configuration error): not the host's stack trace and an abort. Any other
/// failure to start still ends as an unhandled exception, with its stack trace.
/// </summary>
public static partial class StartupRefusal
{
    /// <summary>The exit code of a service refusing its configuration.</summary>
    public const int ExitCode = 2;

    /// <summary>The host's own error for a failed start: the refusal below says it better, and anything else is rethrown whole.</summary>
    public static TBuilder QuietFailedStart<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", level => level < LogLevel.Error);
        return builder;
    }

    /// <summary>
    /// Builds the service, maps its endpoints (<paramref name="map"/>, which may read options) and runs it until it stops:
    /// 0, or <see cref="ExitCode"/> when its configuration is refused.
    /// </summary>
    public static int BuildAndRun(this WebApplicationBuilder builder, Action<WebApplication> map)
    {
        var service = builder.Environment.ApplicationName;
        try
        {
            var app = builder.Build();
            map(app);
            app.Run();
            return 0;
        }
        catch (Exception e) when (Refusals(e) is { Count: > 0 } refusals)
        {
            Console.Error.WriteLine($"{service} cannot start with this configuration:");
            foreach (var refusal in refusals)
            {
                Console.Error.WriteLine($"  {refusal}");
            }
            return ExitCode;
        }
    }

    /// <summary>What in the configuration stopped the start, one line each; none for a failure of another kind.</summary>
    public static IReadOnlyList<string> Refusals(Exception e) => e switch
    {
        OptionsValidationException validation => [.. validation.Failures],
        AggregateException many => many.InnerExceptions.Select(Refusals).All(r => r.Count > 0) ? [.. many.InnerExceptions.SelectMany(Refusals)] : [],
        // The Aspire clients' own check, e.g. "No endpoints specified. Ensure a valid connection string was provided in 'ConnectionStrings:redis' or …".
        InvalidOperationException missing when ConnectionString().Match(missing.Message) is { Success: true } key =>
            [$"{key.Groups[1].Value} is missing or empty ({missing.Message})"],
        _ => [],
    };

    [GeneratedRegex(@"'(ConnectionStrings:[^']+)'")]
    private static partial Regex ConnectionString();
}
