using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Instrumentation.AspNetCore;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What every Mesh service shares: telemetry, health endpoints, service discovery, HTTP resilience,
/// gRPC client defaults and the log format. The Aspire service-defaults template, made ours.
/// </summary>
public static class MeshServiceDefaults
{
    public const string LivenessPath = "/alive";
    public const string HealthPath = "/health";
    public const string ReadinessPath = "/ready";
    const string LiveTag = "live";

    /// <summary>Deadline given to a gRPC call whose caller set none.</summary>
    public static readonly TimeSpan DefaultGrpcDeadline = TimeSpan.FromSeconds(10);

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureLogFormat();
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();

        // No "Server: Kestrel" on any answer: the gateway faces the internet, and the header tells a caller only what to attack.
        builder.Services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(kestrel => kestrel.AddServerHeader = false);
        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });
        return builder;
    }

    /// <summary><c>Logging:Format=json</c> writes one JSON object per line to the console.</summary>
    public static TBuilder ConfigureLogFormat<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        if (string.Equals(builder.Configuration["Logging:Format"], "json", StringComparison.OrdinalIgnoreCase))
        {
            builder.Logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ";
            });
        }
        return builder;
    }

    /// <summary>Whether telemetry has somewhere to go (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, which the AppHost sets).</summary>
    public static bool HasTelemetryExporter(this IHostApplicationBuilder builder) =>
        !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);

    /// <summary>
    /// Logs, metrics and traces over OTLP. With no exporter configured nothing is instrumented at all: spans and
    /// measurements nobody collects would only cost CPU and allocations on every request. Traced: requests served, with
    /// what they call (Redis, HTTP, gRPC), and our own spans (an update's handling, its Bot API sends). Not traced: the
    /// health probes (<c>/health</c>, <c>/alive</c>, <c>/ready</c>) with the calls their checks make, and Redis calls made
    /// outside any traced work (<see cref="BackgroundCallSampler"/>).
    /// </summary>
    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        if (!builder.HasTelemetryExporter())
        {
            return builder;
        }

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter("Mesh.*"))
            .WithTracing(tracing => tracing
                .SetSampler(BackgroundCallSampler.Instance)
                .AddSource(builder.Environment.ApplicationName)
                .AddSource("Mesh.*")
                .AddAspNetCoreInstrumentation(o =>
                {
                    o.Filter = context => !IsProbe(context.Request.Path);
                    o.EnrichWithHttpResponse = (activity, _) => BotTokenRedaction.RedactUrlTags(activity);
                })
                .AddGrpcClientInstrumentation()
                .AddHttpClientInstrumentation(o =>
                {
                    o.EnrichWithHttpRequestMessage = (activity, _) => BotTokenRedaction.RedactUrlTags(activity);
                    o.EnrichWithHttpResponseMessage = (activity, _) => BotTokenRedaction.RedactUrlTags(activity);
                    o.EnrichWithException = (activity, _) => BotTokenRedaction.RedactUrlTags(activity);
                }));

        builder.Services.AddOpenTelemetry().UseOtlpExporter();
        return builder;
    }

    /// <summary>
    /// Requests of this service left out of traces besides the health probes, which never are traced (e.g. the
    /// sandbox's web chat polling it). Checked on every request served: keep it to comparisons of the method and path.
    /// </summary>
    public static TBuilder AddUntracedRequests<TBuilder>(this TBuilder builder, Func<HttpContext, bool> untraced) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.Configure<AspNetCoreTraceInstrumentationOptions>(o =>
        {
            var traced = o.Filter;
            o.Filter = traced is null ? context => !untraced(context) : context => !untraced(context) && traced(context);
        });
        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        return builder;
    }

    /// <summary>
    /// <c>/alive</c> (the process answers), <c>/health</c> and its alias <c>/ready</c> (every registered dependency
    /// check passes). Mapped in every environment; they answer a status word only, never details.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks(HealthPath);
        app.MapHealthChecks(ReadinessPath);
        app.MapHealthChecks(LivenessPath, new HealthCheckOptions { Predicate = r => r.Tags.Contains(LiveTag) });
        return app;
    }

    /// <summary>
    /// A gRPC client of another Mesh service, found through service discovery (<c>http://_grpc.&lt;service&gt;</c>),
    /// with a default deadline on every call that has none.
    /// </summary>
    public static IHttpClientBuilder AddMeshGrpcClient<TClient>(this IServiceCollection services, string service, TimeSpan? deadline = null)
        where TClient : class
    {
        var interceptor = new DefaultDeadlineInterceptor(deadline ?? DefaultGrpcDeadline);
        return services
            .AddGrpcClient<TClient>(o => o.Address = new Uri($"http://_grpc.{service}"))
            .AddInterceptor(() => interceptor);
    }

    static bool IsProbe(PathString path) =>
        path.StartsWithSegments(HealthPath) || path.StartsWithSegments(LivenessPath) || path.StartsWithSegments(ReadinessPath);
}

/// <summary>Gives a call with no deadline the default one, so no call waits forever on a stuck peer.</summary>
public sealed class DefaultDeadlineInterceptor(TimeSpan deadline) : Interceptor
{
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(TRequest request,
        ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, WithDeadline(context));

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(TRequest request,
        ClientInterceptorContext<TRequest, TResponse> context, AsyncServerStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, WithDeadline(context));

    public override TResponse BlockingUnaryCall<TRequest, TResponse>(TRequest request,
        ClientInterceptorContext<TRequest, TResponse> context, BlockingUnaryCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, WithDeadline(context));

    ClientInterceptorContext<TRequest, TResponse> WithDeadline<TRequest, TResponse>(ClientInterceptorContext<TRequest, TResponse> context)
        where TRequest : class where TResponse : class =>
        context.Options.Deadline is not null
            ? context
            : new(context.Method, context.Host, context.Options.WithDeadline(DateTime.UtcNow + deadline));
}
