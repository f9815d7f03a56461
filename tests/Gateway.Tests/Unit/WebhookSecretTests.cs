using Mesh.Gateway.Webhook;
using Microsoft.Extensions.Options;

namespace Mesh.Gateway.Tests.Unit;

public sealed class WebhookSecretTests
{
    static WebhookSecret Secret(string value) => new(Options.Create(new TelegramWebhookOptions { WebhookSecret = value }));

    [Theory]
    [InlineData("s3cret", true)]
    [InlineData("s3cre", false)]
    [InlineData("s3cret!", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Only_the_configured_secret_matches(string? presented, bool matches) =>
        Assert.Equal(matches, Secret("s3cret").Matches(presented));

    [Fact]
    public void Empty_configured_secret_disables_the_check() => Assert.True(Secret("").Matches(null));
}
