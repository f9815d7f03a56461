using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Telegram.Bot;
using Telegram.Bot.Types;
using Telegram.Bot.Types.ReplyMarkups;

/// <summary>
/// The yardsticks, measured in the same run: bots written on popular frameworks, each in a process of its own,
/// answering <c>/start</c> inline. Telegram.Bot's (below) and grammY's (<c>reference-grammy/bot.js</c>, in Node).
/// Telegram.Bot's is written the way its own webhook example writes one,
/// in a process of its own. A minimal ASP.NET Core endpoint checks the secret header, binds the <see cref="Update"/> with
/// Telegram.Bot's JSON settings and answers <c>/start</c> inline, awaiting its <c>sendMessage</c> (a greeting and a
/// six-button menu, as the mesh's) before it answers 200. No de-dup, no queue, no order across replicas, no retry: what
/// the popular frameworks do. Logging off, as the generous reading. The issue puts this kind of bot at 37 % of the ceiling
/// on the machine it was written on (and grammY and Telegraf at 11–13 %).
/// </summary>
static class ReferenceBot
{
    /// <summary>The argument that makes the benchmark's own executable serve the reference bot: then the sink's URL and the secret.</summary>
    public const string ServeArgument = "--serve-reference-bot";

    const string Token = "1234567:reference-bot-token";

    /// <summary>Serves until its stdin closes; prints its URL as its first line.</summary>
    public static async Task<int> ServeAsync(string apiUrl, string secret)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.ConfigureTelegramBot<Microsoft.AspNetCore.Http.Json.JsonOptions>(o => o.SerializerOptions);
        var bot = new TelegramBotClient(new TelegramBotClientOptions(Token, apiUrl));
        var app = builder.Build();
        app.MapPost("/", async (HttpRequest request, Update update) =>
        {
            if (request.Headers["X-Telegram-Bot-Api-Secret-Token"] != secret)
            {
                return Results.Unauthorized();
            }
            if (update.Message is { Text: "/start", From: { } from } message)
            {
                await bot.SendMessage(message.Chat.Id, $"Hello, {from.FirstName}! 👋", replyMarkup: new InlineKeyboardMarkup(
                [
                    [InlineKeyboardButton.WithCallbackData("💎 Buy tokens", "m:billing"), InlineKeyboardButton.WithCallbackData("⭐ Subscription", "m:subscription")],
                    [InlineKeyboardButton.WithCallbackData("🆘 Support", "m:support"), InlineKeyboardButton.WithCallbackData("👤 Profile", "m:profile")],
                    [InlineKeyboardButton.WithCallbackData("🌐 Language", "m:language"), InlineKeyboardButton.WithCallbackData("❓ Help", "m:help")],
                ]));
            }
            return Results.Ok();
        });
        await app.StartAsync();
        Console.WriteLine(app.Urls.First().TrimEnd('/') + "/");
        await Console.In.ReadToEndAsync(); // the benchmark closes our stdin to stop us
        await app.StopAsync();
        return 0;
    }

    /// <summary>Where the grammY reference lives in the checkout (bot.js, its package.json; node_modules once installed).</summary>
    static string GrammyDirectory { get; } = Path.Combine(RepositoryRoot(), "bench", "UpdatePath.Bench", "reference-grammy");

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
    /// The reference bots this machine can run: Telegram.Bot always; grammY when Node and its package are installed
    /// (<c>scripts/install-prerequisites.sh --bench</c>).
    /// </summary>
    public static IReadOnlyList<string> Available =>
        File.Exists("/usr/bin/node") && Directory.Exists(Path.Combine(GrammyDirectory, "node_modules", "grammy")) ? ["Telegram.Bot", "grammY"] : ["Telegram.Bot"];

    /// <summary>
    /// Starts a reference bot (<see cref="Available"/>) in a process of its own, answering through <paramref name="apiUrl"/>:
    /// Telegram.Bot's in this executable again, with the runtime's defaults (no setting of the mesh's services);
    /// grammY's in Node.
    /// </summary>
    public static async Task<Running> StartAsync(string name, string apiUrl, string secret)
    {
        var start = new ProcessStartInfo { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        if (name == "grammY")
        {
            start.FileName = "/usr/bin/node";
            start.WorkingDirectory = GrammyDirectory;
            start.ArgumentList.Add("bot.js");
        }
        else
        {
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
            running.Url = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30))
                ?? throw new InvalidOperationException($"The {name} reference bot exited before it listened.");
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
                }
            }
            process.Dispose();
        }
    }
}
