using System.Diagnostics;
using Microsoft.Extensions.Hosting;

namespace Mesh.ServiceDefaults.Tests;

public sealed class BotTokenRedactionTests
{
    const string Token = "7000000001:MeshSandboxDevelopmentBotToken00000";

    [Theory]
    [InlineData("https://api.telegram.org/bot" + Token + "/sendMessage", "https://api.telegram.org/bot[redacted-token]/sendMessage")]
    [InlineData("/sandbox/api/bots/" + Token + "/chats/42", "/sandbox/api/bots/[redacted-token]/chats/42")]
    [InlineData("/sandbox/api/bots/7000000001%3AMeshSandboxDevelopmentBotToken00000/chats", "/sandbox/api/bots/[redacted-token]/chats")]
    public void Urls_lose_the_token_and_keep_the_rest(string url, string expected) =>
        Assert.Equal(expected, BotTokenRedaction.Redact(url));

    [Theory]
    [InlineData("/telegram/webhook")]
    [InlineData("/api/telegram/status?since=12:30")]
    [InlineData("/bot123:short/getMe")]
    public void Urls_without_a_token_are_unchanged(string url) =>
        Assert.Equal(url, BotTokenRedaction.Redact(url));

    [Fact]
    public void Span_url_tags_and_name_are_redacted()
    {
        using var activity = new Activity("POST /bot" + Token + "/sendMessage");
        activity.SetTag("url.full", "http://127.0.0.1:5280/bot" + Token + "/sendMessage");
        activity.SetTag("url.path", "/bot" + Token + "/sendMessage");
        activity.DisplayName = "POST /bot" + Token + "/sendMessage";

        BotTokenRedaction.RedactUrlTags(activity);

        Assert.Equal("http://127.0.0.1:5280/bot[redacted-token]/sendMessage", activity.GetTagItem("url.full"));
        Assert.Equal("/bot[redacted-token]/sendMessage", activity.GetTagItem("url.path"));
        Assert.DoesNotContain(Token.Split(':')[1], activity.DisplayName);
    }
}
