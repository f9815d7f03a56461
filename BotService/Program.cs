using Mesh.Bot;
using Mesh.Bot.Grpc;
using Mesh.Bot.Operations;

// Socket completions run on the socket engine's threads (see InlineSocketCompletions): before any socket is made.
InlineSocketCompletions.EnableUnlessSet();

// Operator commands (webhook setup|delete|check, conversations clear) run and exit without the web host.
if (BotCommandLine.IsCommand(args))
{
    return await BotCommandLine.RunAsync(args, Console.Out, Console.Error);
}

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddBotServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapGrpcService<TelegramUpdatesApi>();
app.MapGrpcService<NotificationsApi>();
app.MapBotOperationsApi();

app.Run();
return 0;

/// <summary>Entry point, visible to tests.</summary>
public partial class Program;
