using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Mesh.Testing.EndToEnd;

namespace Mesh.EndToEnd.Tests;

/// <summary>The operator API through the gateway, with the token the AppHost gives it.</summary>
[Collection(MeshCollection.Name)]
public sealed class OperatorApiTests(MeshFixture mesh)
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Telegram_status_answers_the_apphost_operator_token_and_refuses_others()
    {
        var token = await ((ParameterResource)mesh.Mesh.Resource("operator-token")).GetValueAsync(Ct);
        using var gateway = mesh.Mesh.App.CreateHttpClient("gateway", "http");

        using var anonymous = await gateway.GetAsync("/api/telegram/status", Ct);
        gateway.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "not-the-operator-token-at-all");
        using var wrong = await gateway.GetAsync("/api/telegram/status", Ct);
        gateway.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var operatorCall = await gateway.GetAsync("/api/telegram/status", Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.OK, operatorCall.StatusCode);
        var status = JsonNode.Parse(await operatorCall.Content.ReadAsStringAsync(Ct))!;
        Assert.Equal("webhook", ((string?)status["mode"])?.ToLowerInvariant());
        Assert.EndsWith("/telegram/webhook", (string?)status["webhookUrl"] ?? (string?)status["webhook_url"]);
    }
}
