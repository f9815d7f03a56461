using Mesh.Testing;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Mesh.Testing.EndToEnd;
using Microsoft.Extensions.DependencyInjection;
using static Microsoft.Playwright.Assertions;

namespace Mesh.EndToEnd.Tests;

/// <summary>What a developer does after the run command: open the chat URL, type /start, use the menu.</summary>
[Collection(MeshCollection.Name)]
public sealed class ChatPageTests(MeshFixture mesh)
{
    [Fact]
    public async Task Sandbox_log_names_the_web_chat_at_the_address_the_dashboard_shows()
    {
        var chat = mesh.Mesh.App.GetEndpoint("telegram", "http").ToString().TrimEnd('/') + TelegramApiBuilder.ChatPath;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));

        // The console of the sandbox's process (the resource's one replica, by its orchestrator's name), from its start.
        var process = (await mesh.Mesh.App.ResourceNotifications.WaitForResourceHealthyAsync("telegram", timeout.Token)).ResourceId;
        string? line = null;
        await foreach (var lines in mesh.Mesh.App.Services.GetRequiredService<ResourceLoggerService>().WatchAsync(process).WithCancellation(timeout.Token))
        {
            line = lines.Select(l => l.Content).FirstOrDefault(l => l.Contains("web chat ", StringComparison.Ordinal));
            if (line is not null)
            {
                break;
            }
        }

        Assert.NotNull(line);
        Assert.Equal(chat, System.Text.RegularExpressions.Regex.Match(line, @"web chat (\S+)").Groups[1].Value);
    }

    [Fact]
    public async Task New_user_types_start_in_the_web_chat_and_the_menu_opens_and_edits_in_place()
    {
        var chat = mesh.Mesh.App.GetEndpoint("telegram", "http").ToString().TrimEnd('/') + TelegramApiBuilder.ChatPath;
        var botId = mesh.BotToken[..mesh.BotToken.IndexOf(':')];
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync();

        await page.GotoAsync($"{chat}?bot={botId}");
        await page.FillAsync("#user-id", Random.Shared.Next(100_000, 900_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.FillAsync("#user-name", "Mira");
        await page.FillAsync("#user-lang", "en");
        await page.FillAsync("#text", "/start");
        await page.ClickAsync("#send");

        var menu = page.Locator(".message.from-bot").Last;
        await Expect(menu.Locator(".text")).ToContainTextAsync("Hello, Mira!", new() { Timeout = 30_000 });
        await Expect(menu.Locator(".inline-button", new() { HasText = "Profile" })).ToBeVisibleAsync();

        await menu.Locator(".inline-button", new() { HasText = "Profile" }).ClickAsync();

        await Expect(menu.Locator(".text")).ToContainTextAsync("Your profile", new() { Timeout = 30_000 });
        await Expect(menu.Locator(".meta")).ToContainTextAsync("edited");
        Assert.Equal(1, await page.Locator(".message.from-bot").CountAsync());
        await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "chat-start.png"), FullPage = true });
    }
}
