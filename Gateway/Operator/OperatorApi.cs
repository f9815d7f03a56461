using Mesh.Bot.Grpc;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Mesh.Gateway.Operator;

/// <summary>
/// The operator API: everything under <c>/api</c> requires <c>Authorization: Bearer &lt;token&gt;</c> (the
/// <see cref="Policy"/> authorization policy over the <see cref="OperatorAuthentication"/> scheme) and is rate limited
/// per client address (<see cref="OperatorRateLimiter"/>, on the whole prefix, 429 when exceeded; failed attempts count
/// too). The YARP routes <c>/api/support/**</c> and <c>/api/billing/**</c> reuse the policy by name
/// (<c>AuthorizationPolicy</c> = <c>"operator"</c>) and are limited by being under the prefix.
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

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<OperatorRateLimiter>();

        // The bot's BotOperations over gRPC (http://_grpc.bot), with a deadline on every call.
        services.AddMeshGrpcClient<BotOperations.BotOperationsClient>("bot", TimeSpan.FromSeconds(10));
        services.AddSingleton<TelegramStatusEndpoint>();
        return builder;
    }

    /// <summary>Rate limiting first (so guessing tokens is limited too), then authentication and authorization; then the routes.</summary>
    public static WebApplication MapOperatorApi(this WebApplication app)
    {
        OperatorRateLimiter.Use(app, Prefix);
        app.UseAuthentication();
        app.UseAuthorization();

        var api = app.MapGroup(Prefix).RequireAuthorization(Policy);
        api.MapGet(TelegramStatusEndpoint.Route, (TelegramStatusEndpoint endpoint, CancellationToken ct) => endpoint.GetAsync(ct));
        return app;
    }
}
