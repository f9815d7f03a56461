using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Mesh.Gateway.Webhook;

/// <summary>The gateway is ready only when the bot service is: a probe of its <c>/health</c> (<c>services:bot:http:0</c>).</summary>
public sealed class BotServiceHealthCheck(IHttpClientFactory clients) : IHealthCheck
{
    public const string HttpClientName = "bot-health";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var response = await clients.CreateClient(HttpClientName).GetAsync("/health", cancellationToken);
            return response.IsSuccessStatusCode
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy($"bot /health answered {(int)response.StatusCode}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return HealthCheckResult.Unhealthy("bot service unreachable");
        }
    }
}
