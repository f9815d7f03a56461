using Microsoft.Playwright;

namespace Mesh.Testing;

/// <summary>
/// Headless Debian Chromium driven by Playwright (no browser download). A source file compiled into each test project
/// with browser tests (EndToEnd.Tests, TelegramSandbox.Tests), so that Mesh.Testing, which the benchmarks use too, does
/// not carry Playwright.
/// </summary>
static class Browser
{
    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"],
        });
        return (playwright, browser);
    }
}
