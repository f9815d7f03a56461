using Mesh.Gateway;
using Mesh.Gateway.Operator;

// Socket completions run on the socket engine's threads (see InlineSocketCompletions): before any socket is made.
InlineSocketCompletions.EnableUnlessSet();

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddGatewayServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapTelegramWebhook();
app.MapOperatorApi();

app.Run();

/// <summary>Entry point, visible to tests.</summary>
public partial class Program;
