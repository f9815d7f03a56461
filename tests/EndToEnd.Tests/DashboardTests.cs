using System.Net.Http.Json;
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
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync();

        await page.GotoAsync(mesh.DashboardUrl);
        foreach (var resource in mesh.Mesh.DeclaredResources)
        {
            await page.GetByText(resource, new() { Exact = true }).First.WaitForAsync(new() { Timeout = 60_000 });
        }
        await page.GetByText("Running").First.WaitForAsync(new() { Timeout = 30_000 });
        await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "dashboard-resources.png"), FullPage = true });

        var text = await page.Locator("body").InnerTextAsync();
        Assert.DoesNotContain("Unhealthy", text);
        Assert.DoesNotContain("Failed to start", text);
        Assert.DoesNotContain("Waiting", text);
    }

    [Fact]
    public async Task A_start_is_one_trace_with_spans_from_the_gateway_and_the_bot()
    {
        var user = new SandboxUser(Random.Shared.NextInt64(100_000, 900_000_000), "Taras", LanguageCode: "uk");
        await mesh.Sandbox.SendTextAsync(mesh.BotToken, user, "/start", TestContext.Current.CancellationToken);
        await mesh.Sandbox.WaitForBotMessageAsync(mesh.BotToken, user.Id, timeout: TimeSpan.FromSeconds(30), ct: TestContext.Current.CancellationToken);

        var traceId = await WaitForTraceAcrossAsync(["gateway", "bot"], TimeSpan.FromSeconds(60));

        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync();
        await page.GotoAsync($"{mesh.DashboardUrl}/traces/detail/{traceId}");
        await page.GetByText("gateway").First.WaitForAsync(new() { Timeout = 30_000 });
        await page.GetByText("bot").First.WaitForAsync(new() { Timeout = 30_000 });
        await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "dashboard-start-trace.png"), FullPage = true });
    }

    /// <summary>Asks the dashboard's telemetry API for a trace with spans from every one of <paramref name="services"/>.</summary>
    async Task<string> WaitForTraceAcrossAsync(string[] services, TimeSpan deadline)
    {
        using var http = new HttpClient { BaseAddress = new Uri(mesh.DashboardUrl) };
        var until = DateTime.UtcNow + deadline;
        var seen = "";
        while (DateTime.UtcNow < until)
        {
            var traces = await http.GetFromJsonAsync<JsonNode>("/api/telemetry/spans");
            seen = traces?.ToJsonString() ?? "";
            var byTrace = new Dictionary<string, HashSet<string>>();
            foreach (var resourceSpans in traces?["data"]?["resourceSpans"]?.AsArray() ?? [])
            {
                var service = resourceSpans?["resource"]?["attributes"]?.AsArray()
                    .FirstOrDefault(a => (string?)a?["key"] == "service.name")?["value"]?["stringValue"]?.GetValue<string>() ?? "";
                foreach (var scope in resourceSpans?["scopeSpans"]?.AsArray() ?? [])
                {
                    foreach (var span in scope?["spans"]?.AsArray() ?? [])
                    {
                        var traceId = (string?)span?["traceId"] ?? "";
                        if (!byTrace.TryGetValue(traceId, out var names))
                        {
                            byTrace[traceId] = names = [];
                        }
                        names.Add(service);
                    }
                }
            }
            var match = byTrace.FirstOrDefault(t => services.All(s => t.Value.Any(n => n.StartsWith(s, StringComparison.Ordinal))));
            if (match.Key is not null)
            {
                return match.Key;
            }
            await Task.Delay(500);
        }
        throw new TimeoutException($"no trace spans {string.Join(" and ", services)} within {deadline}; the dashboard had: {seen[..Math.Min(seen.Length, 2000)]}");
    }
}
