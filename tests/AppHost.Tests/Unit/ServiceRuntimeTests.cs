using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Mesh.Testing;

namespace Mesh.AppHost.Tests.Unit;

/// <summary>The runtime settings (<see cref="ServiceRuntime"/>) reach the services however they are started.</summary>
public sealed class ServiceRuntimeTests
{
    [Theory]
    [InlineData("BotService")]
    [InlineData("Gateway")]
    public void Dotnet_run_starts_the_service_with_the_runtime_settings(string project)
    {
        using var launch = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repository.Root, project, "Properties", "launchSettings.json")));

        foreach (var profile in launch.RootElement.GetProperty("profiles").EnumerateObject())
        {
            var variables = profile.Value.GetProperty("environmentVariables");
            foreach (var (name, value) in ServiceRuntime.EnvironmentOf(project))
            {
                Assert.True(variables.TryGetProperty(name, out var set), $"{project}'s launch profile {profile.Name} lacks {name}");
                Assert.Equal(value, set.GetString());
            }
        }
    }

    [Fact]
    public void Gateway_runs_with_a_small_gen0_budget_and_the_bot_with_a_small_gen1_budget()
    {
        Assert.Equal("0x800000", ServiceRuntime.EnvironmentOf("Gateway")["DOTNET_GCgen0size"]);
        Assert.Equal("0x600000", ServiceRuntime.EnvironmentOf("BotService")["DOTNET_GCGen1MaxBudget"]);
        // The bot's gen0 stays with the GC's dynamic adaptation.
        Assert.DoesNotContain("DOTNET_GCgen0size", ServiceRuntime.EnvironmentOf("BotService").Keys);
    }

    [Fact]
    public async Task AppHost_declares_bot_and_gateway_with_the_runtime_settings()
    {
        var dataPath = MeshAppHost.NewDataPath();
        try
        {
            await AssertRuntimeSettingsAsync(await MeshAppHost.CreateBuilderAsync(dataPath, cancellationToken: TestContext.Current.CancellationToken));
        }
        finally
        {
            // Declaring the stores makes their data directories; nothing runs in them.
            if (Directory.Exists(dataPath))
            {
                Directory.Delete(dataPath, recursive: true);
            }
        }
    }

    static async Task AssertRuntimeSettingsAsync(Aspire.Hosting.Testing.IDistributedApplicationTestingBuilder builder)
    {
        foreach (var (name, projectName) in new[] { ("bot", "BotService"), ("gateway", "Gateway") })
        {
            var project = builder.Resources.OfType<ProjectResource>().Single(r => r.Name == name);
            // What the declaration's environment callbacks set (as for a manifest: references stay unresolved).
            var context = new EnvironmentCallbackContext(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Publish), project);
            foreach (var callback in project.Annotations.OfType<EnvironmentCallbackAnnotation>())
            {
                await callback.Callback(context);
            }
            foreach (var (variable, value) in ServiceRuntime.EnvironmentOf(projectName))
            {
                Assert.Equal(value, context.EnvironmentVariables.GetValueOrDefault(variable) as string);
            }
        }
    }
}
