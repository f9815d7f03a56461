using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// A service that cannot start for its configuration says so in a few lines naming the keys (never their values), and
/// exits with code 2, as the bot's command line does for a usage or configuration error: not a stack trace and an
/// abort. The settings are checked before the host starts (connection strings, then every option validated on start),
/// so the host never logs a failed start of its own for them. Any other failure still ends the process as before, with
/// its stack trace; a background service that stopped the host by failing makes the exit code 1.
/// </summary>
public static partial class StartupRefusal
{
    /// <summary>The exit code of a service refusing its configuration.</summary>
    public const int ExitCode = 2;

    /// <summary>The exit code of a service whose background work failed and stopped it.</summary>
    public const int FailedExitCode = 1;

    /// <summary>
    /// Checks the connection strings named and the options, builds the service, maps its endpoints
    /// (<paramref name="map"/>, which may read options) and runs it until it stops.
    /// </summary>
    public static int BuildAndRun(this WebApplicationBuilder builder, Action<WebApplication> map, params string[] connectionStrings)
    {
        var service = builder.Environment.ApplicationName;
        var missing = connectionStrings.Where(name => string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(name)))
            .Select(name => $"ConnectionStrings:{name} is required").ToList();
        if (missing.Count > 0)
        {
            Refuse(service, missing, logger: null);
            return ExitCode;
        }

        var app = builder.Build();
        List<BackgroundService> background;
        try
        {
            app.Services.GetService<IStartupValidator>()?.Validate();
            map(app);
            // Taken now: running disposes the services.
            background = [.. app.Services.GetServices<IHostedService>().OfType<BackgroundService>()];
        }
        catch (Exception e) when (Refusals(e) is { Count: > 0 } refusals)
        {
            Refuse(service, refusals, app.Logger);
            (app as IDisposable).Dispose();
            return ExitCode;
        }

        try
        {
            app.Run();
        }
        catch (Exception e) when (Refusals(e) is { Count: > 0 } refusals)
        {
            Refuse(service, refusals, logger: null);
            return ExitCode;
        }
        // A background service that failed stops the host (BackgroundServiceExceptionBehavior.StopHost), and Run returns
        // as if asked to stop: a supervisor must see a failure, not a clean exit.
        return background.Any(s => s.ExecuteTask is { IsFaulted: true }) ? FailedExitCode : 0;
    }

    static void Refuse(string service, IReadOnlyList<string> refusals, ILogger? logger)
    {
        Console.Error.WriteLine($"{service} cannot start with this configuration:");
        foreach (var refusal in refusals)
        {
            Console.Error.WriteLine($"  {refusal}");
            logger?.LogCritical("Configuration refused: {Refusal}", refusal);
        }
    }

    /// <summary>What in the configuration stopped the start, one line each; none for a failure of another kind.</summary>
    public static IReadOnlyList<string> Refusals(Exception e) => e switch
    {
        OptionsValidationException validation => [.. validation.Failures],
        AggregateException many => many.InnerExceptions.Select(Refusals).All(r => r.Count > 0) ? [.. many.InnerExceptions.SelectMany(Refusals)] : [],
        // The Aspire clients' own check, e.g. "No endpoints specified. Ensure a valid connection string was provided in 'ConnectionStrings:redis' or …".
        InvalidOperationException missing when ConnectionString().Match(missing.Message) is { Success: true } key =>
            [$"{key.Groups[1].Value} is missing or has no endpoint"],
        // The binder's: "Failed to convert configuration value '…' at 'Section:Key' to type '…'." The value is left out: it may be a secret.
        InvalidOperationException wrongType when WrongType().Match(wrongType.Message) is { Success: true } key =>
            [$"{key.Groups[1].Value} is not a valid {key.Groups[2].Value}"],
        _ => [],
    };

    [GeneratedRegex(@"'(ConnectionStrings:[^']+)'")]
    private static partial Regex ConnectionString();

    [GeneratedRegex(@"^Failed to convert configuration value .* at '([^']+)' to type '([^']+)'", RegexOptions.Singleline)]
    private static partial Regex WrongType();
}
