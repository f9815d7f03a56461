using System.Diagnostics;
using Mesh.TelegramSandbox.Bots;
using Mesh.TelegramSandbox.Client;
using Mesh.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace Mesh.TelegramSandbox.Tests;

/// <summary>
/// What the sandbox records for the dashboard's Traces page, collected in-process as its exporter would get it (the
/// sandbox as the AppHost runs it, with telemetry on): the web chat's page and its polls of the chat are not traced,
/// a user's message is.
/// </summary>
public sealed class TracingTests
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_web_chat_polling_is_not_traced_and_a_users_message_is()
    {
        var spans = new SpanCollector();
        await using var sandbox = new SandboxApp(spans);
        var client = new SandboxClient(sandbox.CreateClient());
        var token = BotToken.NewRandom();
        await client.RegisterBotAsync(token, Ct);
        var user = new SandboxUser(Random.Shared.NextInt64(100_000, 900_000_000), "Ada");

        await client.SendTextAsync(token, user, "hello", Ct);
        await client.GetChatAsync(token, user.Id, since: 0, wait: TimeSpan.FromMilliseconds(10), ct: Ct); // the chat page's long poll
        await client.GetBotsAsync(Ct);
        using var http = sandbox.CreateClient();
        Assert.True((await http.GetAsync("/chat", Ct)).IsSuccessStatusCode);
        Assert.True((await http.GetAsync("/chat/chat.js", Ct)).IsSuccessStatusCode);

        // Routes, not paths: the client names the bot by its token, which telemetry redacts.
        await Until.TrueAsync(() => spans.Recorded.Any(s => Route(s) == "/sandbox/api/bots/{bot}/messages"), "the user's message to be recorded");
        var polls = spans.Recorded.Where(s => Route(s) is "/sandbox/api/bots/{bot}/chats/{chatId:long}" or "/chat" or "/chat/{file}"
            || Route(s) == "/sandbox/api/bots" && (string?)s.GetTagItem("http.request.method") == "GET")
            .Select(s => s.DisplayName).ToList();
        Assert.True(polls.Count == 0, $"the web chat's own requests traced: {string.Join(", ", polls)}");
    }

    static string? Route(Activity span) => span.GetTagItem("http.route") as string;

    sealed class SandboxApp(SpanCollector spans) : WebApplicationFactory<BotRegistry>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            // Telemetry on (read before the host is built), to an OTLP endpoint nobody listens on.
            builder.UseSetting("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9");
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
            builder.ConfigureTestServices(services => services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddProcessor(spans)));
        }
    }
}
