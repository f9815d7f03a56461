using System.Globalization;
using Mesh.Bot.Telegram;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Telegram.Bot.Exceptions;

namespace Mesh.Bot.Operations;

/// <summary>
/// <c>dotnet run --project BotService -- webhook setup|delete|check</c>, <c>conversations clear [--older-than 1h]</c> and
/// <c>deadletters list [--limit 20]|requeue [--chat 123]</c>:
/// runs one operator action against the configured Redis and Telegram (same configuration as the service: appsettings,
/// environment, <c>--Key=value</c>), prints the result and exits, without starting the web host or any worker.
/// Exit codes: 0 done, 1 the action failed (Telegram or Redis unreachable, refused), 2 usage or configuration error.
/// </summary>
public static class BotCommandLine
{
    public const string Usage = """
        Usage:
          BotService webhook check                        show Telegram's webhook and whether it matches the configuration
          BotService webhook setup [--without-secret]     set the configured webhook (Telegram:PublicUrl + /telegram/webhook)
                                                          with Telegram:WebhookSecret (required unless --without-secret)
          BotService webhook delete                       delete the webhook (pending updates are kept)
          BotService conversations clear [--older-than 1h]  reset the dialogs users are in (all, or of users idle that long)
                                                          and tell those users; menus stay
          BotService deadletters list [--limit 20]        the newest dead letters: chat, update or notification, why
          BotService deadletters requeue [--chat 123]     put the dead letters (all, or one chat's) back in their chats' queues
        Configuration as for the service, e.g. --Telegram:BotToken=... --ConnectionStrings:redis=...
        """;

    /// <summary>Whether the arguments are a command: its words first, or after settings given as <c>--Key=value</c>.</summary>
    public static bool IsCommand(string[] args) => args.SkipWhile(IsSetting).FirstOrDefault() is "webhook" or "conversations" or "deadletters";

    static bool IsSetting(string arg) => arg.StartsWith("--", StringComparison.Ordinal) && arg.Contains('=');

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        var leading = args.TakeWhile(IsSetting).ToList();
        var words = args.Skip(leading.Count).TakeWhile(a => !a.StartsWith('-')).ToArray();
        var rest = leading.Concat(args.Skip(leading.Count + words.Length)).ToList();
        TimeSpan? olderThan = null;
        if (TakeOption(rest, "--older-than", out var ageText))
        {
            if (!Age.TryParse(ageText, out var age))
            {
                await error.WriteLineAsync("--older-than needs an age such as 90s, 30m, 1h or 2d.");
                return 2;
            }
            olderThan = age;
        }
        var limit = BotOperations.DeadLetterListDefault;
        var limitGiven = TakeOption(rest, "--limit", out var limitText);
        if (limitGiven && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || !BotOperations.IsDeadLetterListCount(limit)))
        {
            await error.WriteLineAsync($"--limit needs a number from 1 to {BotOperations.DeadLetterListMax}.");
            return 2;
        }
        var withoutSecret = rest.Remove("--without-secret");
        long? chat = null;
        var chatGiven = TakeOption(rest, "--chat", out var chatText);
        if (chatGiven)
        {
            if (!long.TryParse(chatText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var id))
            {
                await error.WriteLineAsync("--chat needs a chat id such as 123456789 (a group's is negative).");
                return 2;
            }
            chat = id;
        }
        // What is left is configuration (--Section:Key=value or --Section:Key value): an option misspelt (--chats, --olderthan)
        // would otherwise be taken as a setting nobody reads, and the command would act on everything.
        if (rest.FirstOrDefault(a => a.StartsWith("--", StringComparison.Ordinal) && !a.Split('=')[0].Contains(':')) is { } unknown)
        {
            await error.WriteLineAsync($"Unknown option {unknown.Split('=')[0]}. Settings are given as --Section:Key=value.");
            await error.WriteLineAsync(Usage);
            return 2;
        }
        if (words is not (["webhook", "check" or "setup" or "delete"] or ["conversations", "clear"] or ["deadletters", "list" or "requeue"])
            || olderThan is not null && words is not ["conversations", ..] || limitGiven && words is not ["deadletters", "list"]
            || chatGiven && words is not ["deadletters", "requeue"] || withoutSecret && words is not ["webhook", "setup"])
        {
            await error.WriteLineAsync(Usage);
            return 2;
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = [.. rest],
            ApplicationName = typeof(BotCommandLine).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") ?? Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") ?? Environments.Production,
        });
        // Only warnings and errors, whatever appsettings say: the output is the command's.
        builder.Configuration["Logging:LogLevel:Default"] = "Warning";
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddBotServices();
        using var host = builder.Build();

        BotOperations operations;
        try
        {
            _ = host.Services.GetRequiredService<IOptions<TelegramOptions>>().Value;
            _ = host.Services.GetRequiredService<IOptions<BotOptions>>().Value;
            operations = host.Services.GetRequiredService<BotOperations>();
        }
        catch (OptionsValidationException e)
        {
            await error.WriteLineAsync(string.Join(Environment.NewLine, e.Failures));
            return 2;
        }
        catch (InvalidOperationException e) when (e.Message.Contains("ConnectionStrings", StringComparison.Ordinal))
        {
            await error.WriteLineAsync("ConnectionStrings:redis is required (the Redis the bot service uses).");
            return 2;
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            switch (words)
            {
                case ["webhook", "check"]:
                    await output.WriteLineAsync($"mode: {operations.Mode}");
                    Write(output, await operations.CheckWebhookAsync(timeout.Token), operations.Mode);
                    break;
                case ["webhook", "setup"] when !withoutSecret && string.IsNullOrEmpty(host.Services.GetRequiredService<IOptions<TelegramOptions>>().Value.WebhookSecret):
                    // In Development the service itself may go without one; from here it is nearly always a command run
                    // without the running mesh's settings, and a gateway that checks a secret would refuse every update.
                    await error.WriteLineAsync("Telegram:WebhookSecret is empty: a webhook set without a secret is refused by a gateway that checks one, "
                        + "and the bot hears nothing. Give the running bot's secret (--Telegram:WebhookSecret=...; with the AppHost: dashboard → bot → "
                        + "Environment variables), or --without-secret if the gateway checks none.");
                    return 2;
                case ["webhook", "setup"]:
                    var set = await operations.SetupWebhookAsync(timeout.Token);
                    await output.WriteLineAsync($"webhook set: {set.Url}");
                    break;
                case ["webhook", "delete"]:
                    await operations.DeleteWebhookAsync(timeout.Token);
                    await output.WriteLineAsync("webhook deleted");
                    break;
                case ["deadletters", "list"]:
                    await output.WriteLineAsync($"dead letters: {(await operations.DeadLetterCountAsync()).ToString(CultureInfo.InvariantCulture)}");
                    foreach (var letter in await operations.ListDeadLettersAsync(limit))
                    {
                        await output.WriteLineAsync(string.Join(" | ",
                            $"chat {letter.ChatId ?? "?"}",
                            letter.Kind is null ? "unreadable entry" : $"{letter.Kind} {letter.Id}",
                            letter.EnqueuedAt is { } at ? "queued " + at.ToString("u", CultureInfo.InvariantCulture) : "queued ?",
                            letter.Note));
                    }
                    break;
                case ["deadletters", "requeue"]:
                    var requeued = await operations.RequeueDeadLettersAsync(chat, timeout.Token);
                    await output.WriteLineAsync($"dead letters requeued: {requeued.Count.ToString(CultureInfo.InvariantCulture)}, left: {requeued.Left.ToString(CultureInfo.InvariantCulture)}");
                    break;
                default:
                    var cleared = await operations.ClearConversationsAsync(olderThan, timeout.Token);
                    await output.WriteLineAsync($"dialogs reset: {cleared.DialogsReset.ToString(CultureInfo.InvariantCulture)}, "
                        + $"users told: {cleared.UsersTold.ToString(CultureInfo.InvariantCulture)}");
                    break;
            }
            return 0;
        }
        catch (WebhookNotConfiguredException e)
        {
            await error.WriteLineAsync(e.Message);
            return 2;
        }
        catch (ApiRequestException e)
        {
            await error.WriteLineAsync($"The Bot API refused the call: {e.ErrorCode} {e.Message}");
            return 1;
        }
        catch (OperationCanceledException) when (words is ["deadletters", ..] or ["conversations", ..])
        {
            await error.WriteLineAsync("Stopped after 60 s; what was done stands: run it again to go on.");
            return 1;
        }
        catch (Exception e) when (e is RequestException or HttpRequestException or TaskCanceledException)
        {
            await error.WriteLineAsync("The Bot API is unreachable (Telegram:ApiBaseUrl).");
            return 1;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            await error.WriteLineAsync("Redis is unreachable (ConnectionStrings:redis).");
            return 1;
        }
    }

    /// <summary>Takes <c>--name value</c> or <c>--name=value</c> out of <paramref name="rest"/>; the value is null when none follows.</summary>
    static bool TakeOption(List<string> rest, string name, out string? value)
    {
        var index = rest.FindIndex(a => a == name || a.StartsWith(name + "=", StringComparison.Ordinal));
        if (index < 0)
        {
            value = null;
            return false;
        }
        var inline = rest[index].Contains('=');
        value = inline ? rest[index][(rest[index].IndexOf('=') + 1)..] : rest.ElementAtOrDefault(index + 1);
        rest.RemoveRange(index, inline || index + 1 >= rest.Count ? 1 : 2);
        return true;
    }

    static void Write(TextWriter output, WebhookView view, string mode)
    {
        output.WriteLine($"url: {(view.Url.Length == 0 ? "(none)" : view.Url)}");
        output.WriteLine($"pending_update_count: {view.PendingUpdateCount.ToString(CultureInfo.InvariantCulture)}");
        output.WriteLine($"max_connections: {view.MaxConnections?.ToString(CultureInfo.InvariantCulture) ?? "-"}");
        output.WriteLine($"allowed_updates: {(view.AllowedUpdates.Count == 0 ? "-" : string.Join(", ", view.AllowedUpdates))}");
        output.WriteLine(view.LastErrorDate is { } date
            ? $"last_error: {date.ToString("u", CultureInfo.InvariantCulture)} {view.LastErrorMessage}"
            : "last_error: none");
        if (mode == "polling" && view.Url.Length > 0)
        {
            output.WriteLine("matches configuration: no (a webhook is set, and this configuration polls: Telegram:PublicUrl is empty; its polling leader deletes the webhook)");
        }
        if (mode == "webhook")
        {
            output.WriteLine(view.Differences.Count == 0
                ? "matches configuration: yes"
                : $"matches configuration: no (differs: {string.Join(", ", view.Differences)})");
        }
    }
}
