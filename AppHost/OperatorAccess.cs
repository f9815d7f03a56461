using System.Security.Cryptography;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;

namespace Aspire.Hosting;

/// <summary>
/// The bearer token operators use on the gateway's operator API (<c>Gateway:OperatorTokens</c>): the AppHost's own
/// <c>Gateway:OperatorTokens:0</c> when set (keep it in user secrets), else one generated for this run. It is a secret
/// parameter: the dashboard's Parameters page reveals it on request, the console never prints it.
/// </summary>
public static class OperatorAccess
{
    public static IResourceBuilder<ParameterResource> AddOperatorToken(this IDistributedApplicationBuilder builder, string name) =>
        builder.AddParameter(name,
            builder.Configuration["Gateway:OperatorTokens:0"] is { Length: > 0 } configured
                ? configured
                : Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_'),
            secret: true);

    public static IResourceBuilder<ProjectResource> WithOperatorToken(this IResourceBuilder<ProjectResource> gateway,
        IResourceBuilder<ParameterResource> token) =>
        gateway.WithEnvironment("Gateway__OperatorTokens__0", token);
}
