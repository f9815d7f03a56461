using Mesh.Gateway;
using Mesh.Gateway.Operator;

// Socket completions run on the socket engine's threads (see InlineSocketCompletions): before any socket is made.
InlineSocketCompletions.EnableUnlessSet();

var builder = WebApplication.CreateBuilder(args);

// With them, Kestrel runs the webhook endpoint on the socket's thread too, rather than handing each request to the
// thread pool: the endpoint only reads the body and waits (asynchronously) for its batch. Measured (6 pairs of 20 s runs
// at 40 senders, taken in turn): the gateway's context switches per update 0.74-0.80 against 1.03-1.05, the sustained
// rate higher and ack p99 lower in 5 of the 6.
builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = InlineSocketCompletions.Enabled);
builder.AddServiceDefaults();
builder.AddGatewayServices();

return builder.BuildAndRun(app =>
{
    app.MapDefaultEndpoints();
    app.MapTelegramWebhook();
    app.MapOperatorApi();
});

/// <summary>Entry point, visible to tests.</summary>
public partial class Program;
