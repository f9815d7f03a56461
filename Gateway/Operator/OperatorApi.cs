using System.Threading.RateLimiting;
using Mesh.Bot.Grpc;
using Microsoft.Extensions.Options;

namespace Mesh.Gateway.Operator;

/// <summary>
/// The operator API: everything under <c>/api</c> requires <c>Authorization: Bearer &lt;token&gt;</c> (the
/// <see cref="Policy"/> authorization policy over the <see cref="OperatorAuthentication"/> scheme) and is rate limited
/// per client address (the <see cref="Policy"/> rate-limiter policy, 429 when exceeded; failed attempts count too).
/// The YARP routes <c>/api/support/**</c> and <c>/api/billing/**</c> reuse both by name
/// (<c>AuthorizationPolicy</c> and <c>RateLimiterPolicy</c> = <c>"operator"</c>).
/// </summary>
public static class OperatorApi
{
    public const string Policy = "operator";
    public const string Prefix = "/api";

    public static IHostApplicationBuilder AddOperatorApi(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<OperatorOptions>().BindConfiguration(OperatorOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<OperatorOptions>, OperatorOptionsValidator>();
        services.AddSingleton<OperatorTokens>();

        // No default scheme: only the operator endpoints (whose policy names the scheme) authenticate, so a webhook
        // request — the hot path — runs no authentication handler at all.
        services.AddAuthentication()
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, OperatorAuthentication>(OperatorAuthentication.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(Policy, policy => policy.AddAuthenticationSchemes(OperatorAuthentication.SchemeName).RequireRole("operator"));

        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(Policy, context =>
            {
                var settings = context.RequestServices.GetRequiredService<IOptions<OperatorOptions>>().Value;
                return RateLimitPartition.GetFixedWindowLimiter(context.Connection.RemoteIpAddress?.ToString() ?? "unknown", _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = settings.OperatorRateLimit,
                    Window = settings.OperatorRateWindow,
                    QueueLimit = 0,
                });
            });
        });

        // The bot's BotOperations over gRPC (http://_grpc.bot), with a deadline on every call.
        services.AddMeshGrpcClient<BotOperations.BotOperationsClient>("bot", TimeSpan.FromSeconds(10));
        services.AddSingleton<TelegramStatusEndpoint>();
        return builder;
    }

    /// <summary>Rate limiting first (so guessing tokens is limited too), then authentication and authorization; then the routes.</summary>
    public static WebApplication MapOperatorApi(this WebApplication app)
    {
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseAuthorization();

        var api = app.MapGroup(Prefix).RequireRateLimiting(Policy).RequireAuthorization(Policy);
        api.MapGet(TelegramStatusEndpoint.Route, (TelegramStatusEndpoint endpoint, CancellationToken ct) => endpoint.GetAsync(ct));
        return app;
    }
}
