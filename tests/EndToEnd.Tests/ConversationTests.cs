using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Mesh.TelegramSandbox.Client;
using Mesh.Testing.EndToEnd;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.EndToEnd.Tests;

/// <summary>Whole dialogs through the mesh as it runs from the AppHost: sandbox → gateway → bot → sandbox.</summary>
[Collection(MeshCollection.Name)]
public sealed class ConversationTests(MeshFixture mesh)
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;
    static readonly TimeSpan Reply = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Profile_dialog_continues_where_it_was_after_the_bot_resource_restarts()
    {
        var user = NewUser("Ada", "en");
        var sent = await mesh.Sandbox.SendTextAsync(mesh.BotToken, user, "/profile", Ct);
        var menu = await NextAsync(user, sent.MessageId, "Your profile");
        await mesh.Sandbox.PressButtonAsync(mesh.BotToken, user, menu.MessageId, Button(menu, "Fill in"), Ct);
        await mesh.Sandbox.WaitForBotMessageAsync(mesh.BotToken, user.Id, m => m.Text.Contains("Step 1 of 4"), Reply, menu.MessageId - 1, Ct);
        sent = await mesh.Sandbox.SendTextAsync(mesh.BotToken, user, "Ada Lovelace", Ct);
        await NextAsync(user, sent.MessageId, "Step 2 of 4");

        await RestartBotAsync();

        sent = await mesh.Sandbox.SendTextAsync(mesh.BotToken, user, "London", Ct);
        await NextAsync(user, sent.MessageId, "Step 3 of 4");
        sent = await mesh.Sandbox.SendTextAsync(mesh.BotToken, user, "Mathematician", Ct);
        var confirm = await NextAsync(user, sent.MessageId, "Step 4 of 4");
        Assert.Contains("Name: Ada Lovelace\nCity: London\nAbout: Mathematician", confirm.Text);
    }

    [Fact]
    public async Task Ukrainian_speaking_user_is_greeted_in_ukrainian()
    {
        var user = NewUser("Олена", "uk");

        var sent = await mesh.Sandbox.SendTextAsync(mesh.BotToken, user, "/start", Ct);
        var greeting = await NextAsync(user, sent.MessageId, "Олена");

        Assert.StartsWith("Вітаю, Олена!", greeting.Text);
    }

    async Task<SandboxChatMessage> NextAsync(SandboxUser user, int after, string containing) =>
        await mesh.Sandbox.WaitForBotMessageAsync(mesh.BotToken, user.Id, m => m.Text.Contains(containing, StringComparison.Ordinal), Reply, after, Ct);

    static string Button(SandboxChatMessage message, string text) =>
        message.InlineKeyboard!.SelectMany(row => row).First(b => b.Text.Contains(text, StringComparison.Ordinal)).CallbackData!;

    static SandboxUser NewUser(string name, string language) =>
        new(Random.Shared.NextInt64(100_000, 900_000_000), name, LanguageCode: language);

    /// <summary>
    /// Restarts the bot the way an operator does from the dashboard, and waits until the new process is healthy. The
    /// resource is watched from before the command: the restart shows as the resource leaving Running, a new process id
    /// or a new start time (any of them: the orchestrator's start times have whole seconds only), then Running and healthy.
    /// </summary>
    async Task RestartBotAsync()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        var watching = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var restarted = Task.Run(async () =>
        {
            (DateTime? Start, string? Pid)? first = null;
            var left = false;
            await foreach (var e in mesh.Mesh.App.ResourceNotifications.WatchAsync(timeout.Token))
            {
                if (e.Resource.Name != "bot")
                {
                    continue;
                }
                var snapshot = e.Snapshot;
                var pid = snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value?.ToString();
                var running = snapshot.State?.Text == KnownResourceStates.Running;
                if (first is null && running)
                {
                    first = (snapshot.StartTimeStamp, pid);
                    watching.TrySetResult();
                    continue;
                }
                left |= !running || (first is { } was && (snapshot.StartTimeStamp != was.Start || (pid is not null && pid != was.Pid)));
                if (left && running && snapshot.HealthStatus == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy)
                {
                    return;
                }
            }
        }, timeout.Token);
        // The watch replays the current state first; should it not, the command goes anyway after a moment.
        await Task.WhenAny(watching.Task, Task.Delay(TimeSpan.FromSeconds(5), timeout.Token));
        var result = await mesh.Mesh.App.Services.GetRequiredService<ResourceCommandService>()
            .ExecuteCommandAsync("bot", KnownResourceCommands.RestartCommand, Ct);
        Assert.True(result.Success, result.Message);
        await restarted;
    }
}
