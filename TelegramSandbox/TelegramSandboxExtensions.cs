using Mesh.TelegramSandbox;
using Mesh.TelegramSandbox.BotApi;
using Mesh.TelegramSandbox.Bots;
using Mesh.TelegramSandbox.Chat;
using Mesh.TelegramSandbox.Control;
using Mesh.TelegramSandbox.Limits;
using Mesh.TelegramSandbox.Polling;
using Mesh.TelegramSandbox.Webhooks;

namespace Microsoft.Extensions.Hosting;

/// <summary>All of the sandbox's wiring in one place.</summary>
public static class TelegramSandboxExtensions
{
    public static IHostApplicationBuilder AddTelegramSandbox(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SandboxOptions>()
            .Bind(builder.Configuration.GetSection(SandboxOptions.Section))
            .Validate(o => o.Limits.PerChatPerSecond >= 0 && o.Limits.PerGroupPerMinute >= 0 && o.Limits.GlobalPerSecond >= 0, "Sandbox:Limits rates must not be negative")
            .Validate(o => o.Webhook.TimeoutSeconds > 0 && o.Webhook.RetryInitialSeconds > 0, "Sandbox:Webhook times must be positive")
            .Validate(o => o.CallbackQueryTimeout > TimeSpan.Zero, "Sandbox:CallbackQueryTimeout must be positive")
            .Validate(o => o.PreCheckoutQueryTimeout > TimeSpan.Zero, "Sandbox:PreCheckoutQueryTimeout must be positive")
            .ValidateOnStart();

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<BotRegistry>();
        builder.Services.AddSingleton<FaultSwitch>();
        builder.Services.AddSingleton<SinkCounter>();
        builder.Services.AddSingleton<CallCounter>();
        builder.Services.AddSingleton<SendRateLimiter>();
        builder.Services.AddSingleton<WebhookDelivery>();
        builder.Services.AddSingleton<UserActions>();

        builder.Services.AddSingleton<IBotApiMethods, BotMethods>();
        builder.Services.AddSingleton<IBotApiMethods, MessageMethods>();
        builder.Services.AddSingleton<IBotApiMethods, WebhookMethods>();
        builder.Services.AddSingleton<IBotApiMethods, GetUpdatesMethod>();
        builder.Services.AddSingleton<IBotApiMethods, PaymentMethods>();
        builder.Services.AddSingleton<BotApiRouter>();
        builder.Services.AddSingleton<BotApiEndpoint>();

        // The web chat's own traffic (its page, and its reads of the control API: a long poll of the chat every 25 s
        // per open page) is not traced; a user's message or press is.
        builder.AddUntracedRequests(context => HttpMethods.IsGet(context.Request.Method)
            && (context.Request.Path.StartsWithSegments(ControlApi.Prefix) || context.Request.Path.StartsWithSegments(ChatPage.Path)));
        return builder;
    }

    public static IEndpointRouteBuilder MapTelegramSandbox(this IEndpointRouteBuilder app)
    {
        app.MapMethods(BotApiEndpoint.Route, ["GET", "POST"], (HttpContext context, string botToken, string method, BotApiEndpoint endpoint) =>
            botToken.StartsWith("bot", StringComparison.Ordinal)
                ? endpoint.HandleAsync(context, botToken[3..], method)
                : Results.NotFound().ExecuteAsync(context));
        app.MapControlApi();
        app.MapChatPage();
        if (app is WebApplication web) ChatPage.LogUrlsOnStart(web);
        return app;
    }
}
