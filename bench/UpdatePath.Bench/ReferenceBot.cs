using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Telegram.Bot;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;
using Telegram.Bot.Types.ReplyMarkups;

/// <summary>
/// The yardsticks, measured in the same run: bots written on popular frameworks, each in a process of its own,
/// answering <c>/start</c> inline with the mesh's reply (<see cref="GreetingHtml"/>, parse mode HTML, the main menu's six
/// buttons with the mesh's labels and callback data): Telegram.Bot's (below), and grammY's and Telegraf's in Node
/// (<c>reference-node/grammy.js</c>, <c>telegraf.js</c>). No de-dup, no queue, no order across replicas, no retry: what the popular frameworks do. Logging off, as the
/// generous reading. The issue puts Telegram.Bot in a bare endpoint at 37 % of the ceiling on the machine it was written
/// on, and grammY and Telegraf at 11–13 %.
/// Telegram.Bot's is written as its Webhook.MinimalAPIs example writes one: a typed <see cref="ITelegramBotClient"/> over
/// a named HttpClient with its loggers removed, the <see cref="Update"/> bound with Telegram.Bot's JSON settings. Where the
/// example handles the update in an <c>async void</c> and answers at once, this one awaits its <c>sendMessage</c> before
/// answering 200, as the "answering inline" says (and so that a reply counts against its own acknowledgement).
/// It runs with the runtime's defaults for a web app (server GC), none of the mesh's settings.
/// </summary>
static class ReferenceBot
{
    /// <summary>The argument that makes the benchmark's own executable serve the reference bot: then the sink's URL and the secret.</summary>
    public const string ServeArgument = "--serve-reference-bot";

    const string Token = "1234567:reference-bot-token";

    /// <summary>The mesh's /start reply in English: its greeting, then its main menu's question (HTML; the name escaped).</summary>
    static string GreetingHtml(string firstName) => $"Hello, {System.Net.WebUtility.HtmlEncode(firstName)}! 👋\nWhat would you like to do?";

    /// <summary>The mesh's main menu, as a new user sees it (menu version 1).</summary>
    static readonly InlineKeyboardMarkup MainMenu = new(
    [
        [InlineKeyboardButton.WithCallbackData("🪙 Buy tokens", "mn:main:1:billing"), InlineKeyboardButton.WithCallbackData("⭐ Subscription", "mn:main:1:subscription")],
        [InlineKeyboardButton.WithCallbackData("🆘 Support", "mn:main:1:support"), InlineKeyboardButton.WithCallbackData("👤 Profile", "mn:profile:1:")],
        [InlineKeyboardButton.WithCallbackData("🌐 Language", "mn:language:1:"), InlineKeyboardButton.WithCallbackData("❓ Help", "mn:help:1:")],
    ]);

    /// <summary>Serves until its stdin closes; prints its URL and its GC as its first line.</summary>
    public static async Task<int> ServeAsync(string apiUrl, string secret)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.ConfigureTelegramBot<Microsoft.AspNetCore.Http.Json.JsonOptions>(o => o.SerializerOptions);
        builder.Services.AddHttpClient("tgwebhook").RemoveAllLoggers()
            .AddTypedClient<ITelegramBotClient>(http => new TelegramBotClient(new TelegramBotClientOptions(Token, apiUrl), http));
        var app = builder.Build();
        app.MapPost("/", async (HttpRequest request, Update update, ITelegramBotClient bot) =>
        {
            if (request.Headers["X-Telegram-Bot-Api-Secret-Token"] != secret)
            {
                return Results.Unauthorized();
            }
            if (update.Message is { Text: "/start", From: { } from } message)
            {
                await bot.SendMessage(message.Chat.Id, GreetingHtml(from.FirstName), ParseMode.Html, replyMarkup: MainMenu);
            }
            return Results.Ok();
        });
        await app.StartAsync();
        Console.WriteLine($"{app.Urls.First().TrimEnd('/')}/ server GC: {System.Runtime.GCSettings.IsServerGC}");
        await Console.In.ReadToEndAsync(); // the benchmark closes our stdin to stop us
        await app.StopAsync();
        return 0;
    }

    /// <summary>Where the Node references live in the checkout (grammy.js, telegraf.js, their package.json; node_modules once installed).</summary>
    static string NodeDirectory { get; } = Path.Combine(RepositoryRoot(), "bench", "UpdatePath.Bench", "reference-node");

    /// <summary>The Node references: name, script, package.</summary>
    static readonly (string Name, string Script, string Package)[] NodeBots = [("grammY", "grammy.js", "grammy"), ("Telegraf", "telegraf.js", "telegraf")];

    static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Mesh.sln")))
            {
                return directory.FullName;
            }
        }
        return AppContext.BaseDirectory;
    }

    /// <summary>
    /// The reference bots this machine can run: Telegram.Bot always; grammY and Telegraf when Node and their packages are
    /// installed (<c>scripts/install-prerequisites.sh --bench</c>).
    /// </summary>
    public static IReadOnlyList<string> Available =>
        ["Telegram.Bot", .. NodeBots.Where(b => Node is not null && Directory.Exists(Path.Combine(NodeDirectory, "node_modules", b.Package))).Select(b => b.Name)];

    /// <summary>Every reference bot there is (<see cref="Available"/> those this machine can run).</summary>
    public static IReadOnlyList<string> All => ["Telegram.Bot", .. NodeBots.Select(b => b.Name)];

    /// <summary>Node's executable, found on the PATH; null when there is none.</summary>
    static string? Node { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Select(directory => Path.Combine(directory, "node")).FirstOrDefault(File.Exists);

    /// <summary>
    /// Starts a reference bot (<see cref="Available"/>) in a process of its own, answering through <paramref name="apiUrl"/>:
    /// Telegram.Bot's in this executable again, with a web app's runtime defaults (no setting of the mesh's services);
    /// grammY's and Telegraf's in Node.
    /// </summary>
    public static async Task<Running> StartAsync(string name, string apiUrl, string secret)
    {
        var start = new ProcessStartInfo { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        // None of the runtime or ASP.NET Core settings this benchmark may run with (a --set, a shell's exports).
        foreach (var variable in start.Environment.Keys.Where(k => k.StartsWith("DOTNET_", StringComparison.Ordinal) || k.StartsWith("ASPNETCORE_", StringComparison.Ordinal)).ToArray())
        {
            start.Environment.Remove(variable);
        }
        if (NodeBots.FirstOrDefault(b => b.Name == name) is { Script: { } script })
        {
            start.FileName = Node!;
            start.WorkingDirectory = NodeDirectory;
            start.ArgumentList.Add(script);
        }
        else
        {
            // A web app's defaults: server GC (Microsoft.NET.Sdk.Web's), whatever this benchmark's own runtimeconfig says.
            start.Environment["DOTNET_gcServer"] = "1";
            start.FileName = Environment.ProcessPath!;
            if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
            {
                start.ArgumentList.Add(typeof(ReferenceBot).Assembly.Location);
            }
            start.ArgumentList.Add(ServeArgument);
        }
        start.ArgumentList.Add(apiUrl);
        start.ArgumentList.Add(secret);
        var process = Process.Start(start) ?? throw new InvalidOperationException($"The {name} reference bot did not start.");
        var running = new Running(name, process);
        try
        {
            // Its first line: its URL, then what it runs on (its GC, or Node's and grammY's versions).
            var first = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30))
                ?? throw new InvalidOperationException($"The {name} reference bot exited before it listened.");
            var space = first.IndexOf(' ');
            (running.Url, running.Details) = space < 0 ? (first, "") : (first[..space], first[(space + 1)..]);
            // Whatever else it prints is read and dropped, so that a full pipe never stalls it.
            _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
            return running;
        }
        catch
        {
            await running.DisposeAsync();
            throw;
        }
    }

    /// <summary>A reference bot's process: its name and webhook URL; disposing stops it.</summary>
    public sealed class Running(string name, Process process) : IAsyncDisposable
    {
        public string Name => name;

        public string Url { get; internal set; } = "";

        /// <summary>What it runs on, as it said when it started.</summary>
        public string Details { get; internal set; } = "";

        /// <summary>Its exit code once it has exited (it should not, before it is stopped); null while it runs.</summary>
        public int? ExitCode => process.HasExited ? process.ExitCode : null;

        public int ProcessId => process.Id;

        public async ValueTask DisposeAsync()
        {
            if (!process.HasExited)
            {
                process.StandardInput.Close();
                try
                {
                    await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
                }
                catch (TimeoutException)
                {
                    process.Kill();
                    await process.WaitForExitAsync();
                }
            }
            process.Dispose();
        }
    }
}
