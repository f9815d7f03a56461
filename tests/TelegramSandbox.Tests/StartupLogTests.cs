using System.Collections.Concurrent;
using Mesh.TelegramSandbox.Bots;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mesh.TelegramSandbox.Tests;

/// <summary>The start-up log line that tells a developer where the web chat is: run alone, and behind the AppHost's proxy.</summary>
public sealed class StartupLogTests
{
    [Fact]
    public async Task Run_alone_the_log_names_the_address_the_sandbox_listens_on()
    {
        var (lines, listening) = await StartAsync(publicUrl: null);

        Assert.Equal($"Telegram sandbox: Bot API base URL {listening}, web chat {listening}/chat", Assert.Single(lines));
    }

    [Fact]
    public async Task Behind_a_proxy_the_log_names_the_proxys_address_not_the_port_it_forwards_to()
    {
        var (lines, listening) = await StartAsync(publicUrl: "http://127.0.0.1:5280");

        Assert.Equal("Telegram sandbox: Bot API base URL http://127.0.0.1:5280, web chat http://127.0.0.1:5280/chat", Assert.Single(lines));
        Assert.DoesNotContain(listening, lines[0]);
    }

    /// <summary>Starts a sandbox on a free port (its Sandbox:PublicUrl given) and stops it; the chat page's log lines and the address it listened on.</summary>
    static async Task<(IReadOnlyList<string> Lines, string Listening)> StartAsync(string? publicUrl)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = Environments.Development,
            ApplicationName = typeof(BotRegistry).Assembly.GetName().Name,
        });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:http:Url"] = "http://127.0.0.1:0",
            ["Sandbox:PublicUrl"] = publicUrl,
        });
        var log = new LogCapture();
        builder.Logging.ClearProviders().AddProvider(log);
        builder.AddTelegramSandbox();
        await using var app = builder.Build();
        app.MapTelegramSandbox();
        await app.StartAsync(TestContext.Current.CancellationToken);
        var listening = app.Urls.First().TrimEnd('/');
        await app.StopAsync(TestContext.Current.CancellationToken);
        return ([.. log.Lines.Where(l => l.Category == typeof(Chat.ChatPage).FullName).Select(l => l.Message)], listening);
    }

    sealed class LogCapture : ILoggerProvider
    {
        public ConcurrentQueue<(string Category, string Message)> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        sealed class Logger(LogCapture capture, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel))
                {
                    capture.Lines.Enqueue((category, formatter(state, exception)));
                }
            }
        }
    }
}
