using Microsoft.Extensions.Options;

namespace Mesh.TelegramSandbox.Chat;

/// <summary>The web chat at <c>/chat</c> (and <c>/</c>): static HTML and JS embedded in the assembly.</summary>
public static class ChatPage
{
    public const string Path = "/chat";

    private static readonly Dictionary<string, string> ContentTypes = new()
    {
        ["index.html"] = "text/html; charset=utf-8",
        ["chat.js"] = "text/javascript; charset=utf-8",
        ["chat.css"] = "text/css; charset=utf-8",
    };

    public static IEndpointRouteBuilder MapChatPage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => Results.Redirect(Path));
        app.MapGet(Path, () => File("index.html"));
        app.MapGet(Path + "/{file}", (string file) => File(file));
        return app;
    }

    /// <summary>
    /// Names the Bot API base URL and the chat page in the console once Kestrel has its addresses: those it listens on,
    /// or, behind a proxy (the AppHost's), the one people reach it at, <see cref="SandboxOptions.PublicUrl"/>; the port
    /// the sandbox listens on there is the proxy's to forward to, and a browser pointed at it would leave the proxy out.
    /// </summary>
    public static void LogUrlsOnStart(WebApplication app) =>
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ChatPage).FullName!);
            var publicUrl = app.Services.GetRequiredService<IOptions<SandboxOptions>>().Value.PublicUrl;
            foreach (var url in string.IsNullOrWhiteSpace(publicUrl) ? app.Urls : [publicUrl])
                logger.LogInformation("Telegram sandbox: Bot API base URL {BaseUrl}, web chat {ChatUrl}", url.TrimEnd('/'), url.TrimEnd('/') + Path);
        });

    private static IResult File(string name)
    {
        if (!ContentTypes.TryGetValue(name, out var contentType)) return Results.NotFound();
        var stream = typeof(ChatPage).Assembly.GetManifestResourceStream("chat/" + name);
        return stream is null ? Results.NotFound() : Results.Stream(stream, contentType);
    }
}
