using Mesh.Bot;
using Mesh.Bot.Grpc;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddBotServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapGrpcService<TelegramUpdatesApi>();
app.MapGrpcService<NotificationsApi>();

app.Run();

/// <summary>Entry point, visible to tests.</summary>
public partial class Program;
