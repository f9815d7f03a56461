using Mesh.Testing;
using System.Text.Json.Nodes;
using Mesh.TelegramSandbox.Client;
using Mesh.Testing.EndToEnd;
using Microsoft.Playwright;

namespace Mesh.EndToEnd.Tests;

/// <summary>What an operator sees on the Aspire dashboard, in a real (headless) browser.</summary>
[Collection(MeshCollection.Name)]
public sealed class DashboardTests(MeshFixture mesh)
{
    [Fact]
    public async Task Every_resource_shows_running_and_healthy_on_the_dashboard()
    {
        // Another test may have just restarted the bot; the gateway's health follows the bot's at its next check.
        await mesh.Mesh.WaitForAllHealthyAsync(TimeSpan.FromMinutes(2));
        await using var session = await DashboardSession.SignInAsync(mesh);
        var page = session.Page;

        await page.GotoAsync(mesh.DashboardOrigin + "/");
        foreach (var resource in mesh.Mesh.DeclaredResources)
        {
            var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = resource }).First;
            await Assertions.Expect(row).ToContainTextAsync("Running", new() { Timeout = 60_000 });
        }
        await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "dashboard-resources.png"), FullPage = true });

        var text = await page.Locator("body").InnerTextAsync();
        Assert.DoesNotContain("Unhealthy", text);
        Assert.DoesNotContain("Failed to start", text);
        Assert.DoesNotContain("Waiting", text);
        Assert.DoesNotContain("Finished", text);
    }

    [Fact]
    public async Task A_start_is_one_trace_with_spans_from_the_gateway_and_the_bot()
    {
        var user = new SandboxUser(Random.Shared.NextInt64(100_000, 900_000_000), "Taras", LanguageCode: "uk");
        await mesh.Sandbox.SendTextAsync(mesh.BotToken, user, "/start", TestContext.Current.CancellationToken);
        await mesh.Sandbox.WaitForBotMessageAsync(mesh.BotToken, user.Id, timeout: TimeSpan.FromSeconds(30), ct: TestContext.Current.CancellationToken);
        await using var session = await DashboardSession.SignInAsync(mesh);

        var traceId = await WaitForTraceAcrossAsync(["gateway", "bot"], TimeSpan.FromSeconds(60));

        await session.Page.GotoAsync($"{mesh.DashboardOrigin}/traces/detail/{traceId}");
        await session.Page.GetByText("sendMessage").First.WaitForAsync(new() { Timeout = 30_000 });
        var traceText = await session.Page.Locator("body").InnerTextAsync();
        Assert.DoesNotContain(mesh.BotToken.Split(':')[1], traceText);
        await session.Page.GetByText("gateway").First.WaitForAsync(new() { Timeout = 30_000 });
        await session.Page.GetByText("bot").First.WaitForAsync(new() { Timeout = 30_000 });
        await session.Page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "dashboard-start-trace.png"), FullPage = true });
    }

    /// <summary>
    /// A span of the background: a Redis call that no request or update made (a root), a health probe served, the web
    /// chat's polls of the sandbox.
    /// </summary>
    static bool IsChatter(string scope, JsonNode? span)
    {
        var root = string.IsNullOrEmpty((string?)span?["parentSpanId"]);
        var name = (string?)span?["name"] ?? "";
        return root && scope.Contains("StackExchangeRedis", StringComparison.Ordinal)
            || name is "GET /health" or "GET /alive" or "GET /ready"
            || name.StartsWith("GET /sandbox/api/", StringComparison.Ordinal);
    }

    /// <summary>Asks the dashboard's telemetry API for a trace with spans from every one of <paramref name="services"/>.</summary>
    async Task<string> WaitForTraceAcrossAsync(string[] services, TimeSpan deadline)
    {
        using var http = new HttpClient { BaseAddress = new Uri(mesh.DashboardOrigin) };
        http.DefaultRequestHeaders.Add("x-api-key", mesh.DashboardApiKey);
        var until = DateTime.UtcNow + deadline;
        var seen = "";
        while (DateTime.UtcNow < until)
        {
            using var response = await http.GetAsync("/api/telemetry/spans");
            var body = await response.Content.ReadAsStringAsync();
            seen = $"{(int)response.StatusCode} {body}";
            Assert.True(response.IsSuccessStatusCode, $"the dashboard's telemetry API answered {seen}");
            var spans = JsonNode.Parse(body);
            var byTrace = new Dictionary<string, HashSet<string>>();
            var spanNames = new Dictionary<string, List<string>>();
            var chatter = new List<string>();
            foreach (var resourceSpans in spans?["data"]?["resourceSpans"]?.AsArray() ?? [])
            {
                var service = resourceSpans?["resource"]?["attributes"]?.AsArray()
                    .FirstOrDefault(a => (string?)a?["key"] == "service.name")?["value"]?["stringValue"]?.GetValue<string>() ?? "";
                foreach (var scope in resourceSpans?["scopeSpans"]?.AsArray() ?? [])
                {
                    var scopeName = (string?)scope?["scope"]?["name"] ?? "";
                    foreach (var span in scope?["spans"]?.AsArray() ?? [])
                    {
                        var traceId = (string?)span?["traceId"] ?? "";
                        if (IsChatter(scopeName, span))
                        {
                            chatter.Add($"{service}: {(string?)span?["name"]}");
                        }
                        if (!byTrace.TryGetValue(traceId, out var names))
                        {
                            byTrace[traceId] = names = [];
                        }
                        names.Add(service);
                        if (!spanNames.TryGetValue(traceId, out var spansOfTrace))
                        {
                            spanNames[traceId] = spansOfTrace = [];
                        }
                        spansOfTrace.Add((string?)span?["name"] ?? "");
                    }
                }
            }
            // One update, one trace: the webhook request, its handling and its sendMessage, and no other update's handling.
            var match = byTrace.FirstOrDefault(t => services.All(s => t.Value.Any(n => n.StartsWith(s, StringComparison.Ordinal)))
                && spanNames[t.Key].Count(n => n == "HandleUpdate") == 1
                && spanNames[t.Key].Contains("sendMessage")
                && spanNames[t.Key].Contains("POST /telegram/webhook"));
            if (match.Key is not null)
            {
                // The Traces page shows updates and operator actions, not what the mesh does by itself when idle.
                Assert.True(chatter.Count == 0, $"background calls traced: {string.Join(", ", chatter.Distinct())}");
                // Bot API URLs carry the bot token; telemetry must not.
                Assert.DoesNotContain(mesh.BotToken.Split(':')[1], body);
                return match.Key;
            }
            await Task.Delay(500);
        }
        throw new TimeoutException($"no trace spans {string.Join(" and ", services)} within {deadline}; the dashboard had: {seen[..Math.Min(seen.Length, 2000)]}");
    }
}

/// <summary>A headless browser signed in to the dashboard (its login URL sets the cookie).</summary>
sealed class DashboardSession : IAsyncDisposable
{
    readonly IPlaywright playwright;
    readonly IBrowser browser;

    DashboardSession(IPlaywright playwright, IBrowser browser, IPage page)
    {
        this.playwright = playwright;
        this.browser = browser;
        Page = page;
    }

    public IPage Page { get; }

    public static async Task<DashboardSession> SignInAsync(MeshFixture mesh)
    {
        var (playwright, browser) = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync();
        await page.GotoAsync(mesh.DashboardUrl);
        return new(playwright, browser, page);
    }

    public async ValueTask DisposeAsync()
    {
        await browser.DisposeAsync();
        playwright.Dispose();
    }
}
