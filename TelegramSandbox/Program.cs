var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddTelegramSandbox();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapTelegramSandbox();

app.Run();

/// <summary>Entry point, visible to tests.</summary>
public partial class Program;
