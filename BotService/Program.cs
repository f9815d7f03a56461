using Mesh.Bot;
using Mesh.Bot.Grpc;
using Mesh.Bot.Operations;
using Mesh.Bot.Updates;

// Socket completions run on the socket engine's threads (see InlineSocketCompletions): before any socket is made.
InlineSocketCompletions.EnableUnlessSet();

// Operator commands (webhook setup|delete|check, conversations clear, deadletters list|requeue) run and exit without
// the web host.
if (BotCommandLine.IsCommand(args))
{
    return await BotCommandLine.RunAsync(args, Console.Out, Console.Error);
}
if (args is ["--help" or "-h" or "help", ..])
{
    Console.Out.WriteLine("BotService [--Key=value ...]            run the bot service (configuration: appsettings, environment, --Key=value)");
    Console.Out.WriteLine(BotCommandLine.Usage);
    return 0;
}

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddBotServices();

return builder.BuildAndRun(app =>
{
    app.MapDefaultEndpoints();
    app.MapGrpcService<TelegramUpdatesApi>();
    app.MapGrpcService<NotificationsApi>();
    app.MapBotOperationsApi();
}, connectionStrings: ChatQueue.IntakeConnection);

/// <summary>Entry point, visible to tests.</summary>
public partial class Program;
