using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Mesh.Gateway.Operator;

/// <summary>
/// The operator API's authentication scheme: a valid bearer token signs the request in as an operator. Challenged
/// (not signed in): 401 with <c>WWW-Authenticate: Bearer</c> when the header is missing or malformed, 403 when it
/// carries a token that is not one of ours.
/// </summary>
public sealed class OperatorAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggers,
    UrlEncoder encoder,
    OperatorTokens tokens) : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggers, encoder)
{
    public const string SchemeName = "Operator";

    static readonly ClaimsPrincipal Operator = new(new ClaimsIdentity([new Claim(ClaimTypes.Role, "operator")], SchemeName));

    protected override Task<AuthenticateResult> HandleAuthenticateAsync() =>
        Task.FromResult(tokens.Check(Request.Headers.Authorization) switch
        {
            OperatorCredential.Valid => AuthenticateResult.Success(new AuthenticationTicket(Operator, SchemeName)),
            OperatorCredential.Wrong => AuthenticateResult.Fail("The bearer token is not an operator token."),
            _ => AuthenticateResult.NoResult(),
        });

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (tokens.Check(Request.Headers.Authorization) == OperatorCredential.Wrong)
        {
            Response.StatusCode = StatusCodes.Status403Forbidden;
            return Task.CompletedTask;
        }
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        return Task.CompletedTask;
    }
}
