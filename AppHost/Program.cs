var builder = DistributedApplication.CreateBuilder(args);

var redis = builder.AddLocalRedis("redis");
var postgres = builder.AddLocalPostgres("postgres");
var billingDb = postgres.AddDatabase("billingdb");
var supportDb = postgres.AddDatabase("supportdb");

// The real Bot API when Telegram:BotToken is set; otherwise the local sandbox ("telegram") and its web chat.
var telegram = builder.AddTelegram("telegram");
var operatorToken = builder.AddOperatorToken("operator-token");

var bot = builder.AddProject<Projects.BotService>("bot")
    .WithServiceRuntime()
    .WithReference(redis).WaitFor(redis)
    .WithTelegramBotApi(telegram)
    .WithHttpHealthCheck("/health")
    .WithBotCommands();

var gateway = builder.AddProject<Projects.Gateway>("gateway")
    .WithServiceRuntime()
    .WithReference(bot).WaitFor(bot)
    .WithTelegramWebhookSecret(telegram)
    .WithOperatorToken(operatorToken)
    .WithHttpHealthCheck("/health")
    .WithExternalHttpEndpoints();

bot.WithTelegramUpdatesVia(telegram, gateway);

builder.AddReadinessReport();

builder.Build().Run();
