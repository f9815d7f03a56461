using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Mesh.Testing;

namespace Mesh.AppHost.Tests.Unit;

/// <summary>How the AppHost declares the sandbox (no Telegram:BotToken given).</summary>
public sealed class TelegramSandboxTests
{
    [Fact]
    public async Task Sandbox_is_told_the_proxied_address_of_its_endpoint_which_its_log_then_names()
    {
        var dataPath = MeshAppHost.NewDataPath();
        try
        {
            var builder = await MeshAppHost.CreateBuilderAsync(dataPath, cancellationToken: TestContext.Current.CancellationToken);
            var sandbox = builder.Resources.OfType<ProjectResource>().Single(r => r.Name == "telegram");
            // What the declaration's environment callbacks set (as for a manifest: references stay unresolved).
            var context = new EnvironmentCallbackContext(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Publish), sandbox);
            foreach (var callback in sandbox.Annotations.OfType<EnvironmentCallbackAnnotation>())
            {
                await callback.Callback(context);
            }

            // The sandbox's own http endpoint, the one the dashboard and the AppHost's "Chat with the bot at" show: in run
            // mode it resolves to the proxy's address, not the port the sandbox is given to listen on.
            var url = Assert.IsType<EndpointReference>(context.EnvironmentVariables["Sandbox__PublicUrl"]);
            Assert.Same(sandbox, url.Resource);
            Assert.Equal("http", url.EndpointName);
            Assert.True(url.EndpointAnnotation.IsProxied);
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
}
