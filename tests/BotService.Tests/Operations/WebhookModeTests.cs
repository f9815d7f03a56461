using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Mesh.Bot.Updates;
using Mesh.TelegramSandbox.Client;
using Mesh.Testing;
using Mesh.Testing.Sandbox;
using Mesh.Testing.Services;
using Microsoft.Extensions.Options;
using Telegram.Bot;

namespace Mesh.Bot.Tests.Operations;

/// <summary>
/// Webhook mode (<c>Telegram:PublicUrl</c> set) with a real BotService process, real Redis and the sandbox as Telegram:
/// setWebhook only when something differs, the operator HTTP endpoints and the command line.
/// </summary>
public sealed class WebhookModeTests(RedisServerFixture redis, SandboxProcess sandbox) : IClassFixture<SandboxProcess>
{
    const string PublicUrl = "http://127.0.0.1:9/";
    const string WebhookUrl = "http://127.0.0.1:9/telegram/webhook";
    static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    readonly string token = SandboxHost.NewBotToken();
    readonly string prefix = RedisServerFixture.NewKeyPrefix("webhook");

    static CancellationToken Ct => TestContext.Current.CancellationToken;

    Dictionary<string, string?> Settings(string secret) => new()
    {
        ["ConnectionStrings:redis"] = redis.ConnectionString,
        ["Telegram:BotToken"] = token,
        ["Telegram:ApiBaseUrl"] = sandbox.BaseUrl,
        ["Telegram:PublicUrl"] = PublicUrl,
        ["Telegram:WebhookSecret"] = secret,
        ["Bot:RedisKeyPrefix"] = prefix,
        ["Logging:LogLevel:Mesh.Bot.Telegram.WebhookReconciler"] = "Information",
        // HttpClient logs request URLs at Information, and Bot API URLs hold the token: proves it is never logged.
        ["Logging:LogLevel:System.Net.Http"] = "Information",
    };

    async Task<ServiceHost> StartAsync(string secret, string expectedLog)
    {
        var bot = await ServiceHost.StartAsync("BotService", Settings(secret), grpc: true);
        await Until.TrueAsync(() => bot.Output.Contains(expectedLog, StringComparison.Ordinal), Deadline, $"'{expectedLog}' in the bot's log");
        return bot;
    }

    async Task<string?> WebhookAsync() =>
        (await sandbox.Client.GetBotsAsync(Ct)).Single(b => token.StartsWith(b.Id + ":", StringComparison.Ordinal)).WebhookUrl is { Length: > 0 } url ? url : null;

    async Task<long> CallsAsync(string method) => (await sandbox.Client.GetCallsAsync(token, Ct)).Of(method);

    [Fact]
    public async Task SetWebhook_is_called_only_when_the_url_or_secret_differs()
    {
        await using (var bot = await StartAsync("secret-one", "Webhook set to"))
        {
            Assert.DoesNotContain("secret-one", bot.Output);
            Assert.DoesNotContain(token, bot.Output);
        }
        Assert.Equal(1, await CallsAsync("setWebhook"));
        Assert.Equal(WebhookUrl, await WebhookAsync());

        await using (await StartAsync("secret-one", "already set as configured"))
        {
        }
        Assert.Equal(1, await CallsAsync("setWebhook"));

        await using (var bot = await StartAsync("secret-two", "Webhook set to"))
        {
            Assert.Contains("secret", bot.Output);
            Assert.DoesNotContain("secret-two", bot.Output);
        }
        Assert.Equal(2, await CallsAsync("setWebhook"));
        Assert.Equal(0, await CallsAsync("getUpdates"));
    }

    [Fact]
    public async Task Operations_endpoints_report_status_and_delete_and_set_the_webhook()
    {
        await using var bot = await StartAsync("secret-ops", "Webhook set to");
        using var http = new HttpClient { BaseAddress = new Uri(bot.HttpUrl) };

        var status = await http.GetFromJsonAsync<JsonObject>("/operations/status", Ct);
        Assert.Equal("webhook", (string?)status!["mode"]);
        Assert.Equal(WebhookUrl, (string?)status["webhook_url"]);
        foreach (var field in new[] { "pending_update_count", "last_error_date", "last_error_message", "queue_depth", "oldest_queued_update_age", "leases_held", "polling_leader", "dead_lettered" })
        {
            Assert.True(status.ContainsKey(field), field);
        }
        Assert.DoesNotContain("secret-ops", status.ToJsonString());

        using (var deleted = await http.PostAsync("/operations/webhook/delete", null, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        }
        Assert.Null(await WebhookAsync());

        using (var set = await http.PostAsync("/operations/webhook/setup", null, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        }

        Assert.Equal(WebhookUrl, await WebhookAsync());
    }

    [Fact]
    public async Task Status_while_telegram_is_silent_says_unreachable_with_the_queues_figures_within_its_timeout()
    {
        // A Bot API that takes connections and never answers.
        using var silent = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var settings = Settings("secret-silent");
        settings["Telegram:ApiBaseUrl"] = $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}";
        await using var bot = await ServiceHost.StartAsync("BotService", settings, grpc: true);
        using var http = new HttpClient { BaseAddress = new Uri(bot.HttpUrl), Timeout = TimeSpan.FromSeconds(30) };

        var asked = Stopwatch.StartNew();
        var status = await http.GetFromJsonAsync<JsonObject>("/operations/status", Ct);

        // The gateway gives the call 10 s: the bot answers well before, from Redis, with Telegram's part missing.
        Assert.InRange(asked.Elapsed, Mesh.Bot.Operations.BotOperations.StatusTelegramTimeout - TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(9));
        Assert.Equal("unreachable", (string?)status!["telegram_error"]);
        Assert.Equal(0, (long?)status["queue_depth"]);
    }

    [Fact]
    public async Task A_webhook_removed_behind_the_bots_back_is_set_again_but_one_an_operator_deleted_stays_deleted()
    {
        var settings = Settings("secret-keep");
        settings["Telegram:WebhookCheckInterval"] = "00:00:01";
        await using var bot = await ServiceHost.StartAsync("BotService", settings, grpc: true);
        await Until.TrueAsync(() => bot.Output.Contains("Webhook set to", StringComparison.Ordinal), Deadline, "the webhook to be set at start");
        using var http = new HttpClient { BaseAddress = new Uri(bot.HttpUrl) };

        // A replica of the previous version, still polling during a switch to webhook mode, takes the polling lease and
        // deletes the webhook through the Bot API.
        using var telegramHttp = new HttpClient();
        var otherReplica = new TelegramBotClient(new TelegramBotClientOptions(token, sandbox.BaseUrl), telegramHttp);
        await otherReplica.DeleteWebhook(cancellationToken: Ct);
        await Until.TrueAsync(async () => await CallsAsync("setWebhook") >= 2 && await WebhookAsync() == WebhookUrl, Deadline, "the webhook to be set again");

        // A webhook set by a replica of another configuration (a rollout) is left to it: no taking turns. The bot says so,
        // and says that Telegram cannot deliver to it (nothing listens there).
        await otherReplica.SetWebhook("http://127.0.0.1:9/other/telegram/webhook", cancellationToken: Ct);
        await sandbox.Client.SendTextAsync(token, new SandboxUser(Random.Shared.NextInt64(100_000, 900_000_000), "Ada"), "/help", Ct);
        await Task.Delay(TimeSpan.FromSeconds(3), Ct);
        Assert.Equal("http://127.0.0.1:9/other/telegram/webhook", await WebhookAsync());
        // Once, though three checks found it.
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(bot.Output, System.Text.RegularExpressions.Regex.Escape("Telegram's webhook differs from this configuration (url) and is left as it is")));
        await Until.TrueAsync(() => bot.Output.Contains("Telegram reports the webhook failing: ", StringComparison.Ordinal), Deadline,
            "the bot to log Telegram's delivery error");
        await otherReplica.DeleteWebhook(cancellationToken: Ct);
        await Until.TrueAsync(async () => await WebhookAsync() == WebhookUrl, Deadline, "the webhook to be set again once gone");

        // An operator's delete holds: three check intervals later it is still deleted.
        using (var deleted = await http.PostAsync("/operations/webhook/delete", null, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        }
        await Task.Delay(TimeSpan.FromSeconds(3), Ct);
        Assert.Null(await WebhookAsync());

        // Until they set it again; then the checks keep it.
        using (var set = await http.PostAsync("/operations/webhook/setup", null, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        }
        await otherReplica.DeleteWebhook(cancellationToken: Ct);
        await Until.TrueAsync(async () => await WebhookAsync() == WebhookUrl, Deadline, "the webhook to be set again after the operator set it");
    }

    [Fact]
    public async Task Command_line_webhook_check_prints_the_webhook_and_exits_0()
    {
        await using (var bot = await StartAsync("secret-cli", "Webhook set to"))
        {
            Assert.Equal(0, await bot.StopAsync(Deadline)); // stopped as a supervisor stops it: a clean exit
        }

        var (exitCode, output) = await RunCommandLineAsync(Settings("secret-cli"), "webhook", "check");

        Assert.Equal(0, exitCode);
        Assert.Contains("mode: webhook", output);
        Assert.Contains($"url: {WebhookUrl}", output);
        Assert.Contains("pending_update_count: 0", output);
        Assert.Contains("matches configuration: yes", output);
        Assert.DoesNotContain("secret-cli", output);
        Assert.DoesNotContain(token, output);
    }

    [Fact]
    public async Task Command_line_webhook_delete_then_setup_changes_the_webhook_and_bad_usage_exits_2()
    {
        var settings = Settings("secret-cli2");

        var (deleted, _) = await RunCommandLineAsync(settings, "webhook", "delete");
        var afterDelete = await CallsAsync("deleteWebhook");
        var (set, setOutput) = await RunCommandLineAsync(settings, "webhook", "setup");
        var (usage, _) = await RunCommandLineAsync(settings, "webhook", "frobnicate");

        Assert.Equal(0, deleted);
        Assert.Equal(1, afterDelete);
        Assert.Equal(0, set);
        Assert.Contains($"webhook set: {WebhookUrl}", setOutput);
        Assert.Equal(1, await CallsAsync("setWebhook"));
        Assert.Equal(2, usage);
    }

    [Fact]
    public async Task Command_line_webhook_setup_without_a_secret_refuses_unless_told_and_check_flags_a_webhook_under_a_polling_configuration()
    {
        // Run without the running mesh's settings: its gateway would refuse every update of a webhook set with no secret.
        var noSecret = Settings("");

        var (refused, refusal) = await RunCommandLineAsync(noSecret, "webhook", "setup");
        var callsAfterRefusal = await CallsAsync("setWebhook");
        var (set, _) = await RunCommandLineAsync(noSecret, "webhook", "setup", "--without-secret");
        var (checkedCode, check) = await RunCommandLineAsync(new Dictionary<string, string?>(noSecret) { ["Telegram:PublicUrl"] = "" }, "webhook", "check");

        Assert.Equal(2, refused);
        Assert.Contains("Telegram:WebhookSecret is empty", refusal);
        Assert.Equal(0, callsAfterRefusal);
        Assert.Equal(0, set);
        Assert.Equal(WebhookUrl, await WebhookAsync());
        Assert.Equal(0, checkedCode);
        Assert.Contains("mode: polling", check);
        Assert.Contains("matches configuration: no (a webhook is set, and this configuration polls", check);
    }

    [Fact]
    public async Task Help_prints_the_commands_and_starts_nothing()
    {
        var (exitCode, output) = await RunCommandLineAsync(Settings("secret-help"), "--help");

        Assert.Equal(0, exitCode);
        Assert.Contains("BotService webhook setup", output);
        Assert.Contains("BotService deadletters requeue", output);
        Assert.DoesNotContain("Now listening", output);
    }

    [Fact]
    public async Task Command_line_lists_the_newest_dead_letters_and_requeues_them()
    {
        var settings = Settings("secret-cli3");
        var queue = new ChatQueue(redis.Connection, Options.Create(new BotOptions { RedisKeyPrefix = prefix, ReorderWindow = TimeSpan.Zero }));
        foreach (var (id, chat) in new[] { (1L, "501"), (2L, "502") })
        {
            await queue.EnqueueAsync(NewEntry.Update(id, chat, QueuedEntry.HeaderPrefix(EntryKind.Update, $"{id}", null), "{}"u8.ToArray()));
            var leased = Assert.IsType<Claim.Leased>(await queue.ClaimAsync("w"));
            await queue.AckAsync(leased.Lease, $"Update {id} after 5 tries: HttpRequestException: boom {id}");
        }

        // Settings may come before the command's words.
        var (listed, listing) = await RunCommandLineAsync(settings, "--Bot:DeadLetterLimit=100", "deadletters", "list", "--limit", "1");
        var (badLimit, badLimitOutput) = await RunCommandLineAsync(settings, "deadletters", "list", "--limit=0");
        var (limitElsewhere, _) = await RunCommandLineAsync(settings, "deadletters", "requeue", "--limit", "5");
        var (badChat, _) = await RunCommandLineAsync(settings, "deadletters", "requeue", "--chat", "x");
        // A misspelt option is refused, not taken for a setting while the command acts on every chat.
        var (misspelt, misspeltOutput) = await RunCommandLineAsync(settings, "deadletters", "requeue", "--chats", "502");
        Assert.Equal(2, await queue.DeadLetterCountAsync());
        var (requeued, requeueOutput) = await RunCommandLineAsync(settings, "deadletters", "requeue", "--chat", "502");

        Assert.Equal(0, listed);
        Assert.Contains("dead letters: 2", listing);
        Assert.Matches(@"chat 502 \| update 2 \| queued 20\d\d-\d\d-\d\d \d\d:\d\d:\d\dZ \| Update 2 after 5 tries: HttpRequestException: boom 2", listing);
        Assert.DoesNotContain("chat 501", listing);
        Assert.Equal(2, badLimit);
        Assert.Contains("--limit needs a number from 1 to 1000", badLimitOutput);
        Assert.Equal(2, limitElsewhere);
        Assert.Equal(2, badChat);
        Assert.Equal(2, misspelt);
        Assert.Contains("Unknown option --chats", misspeltOutput);
        Assert.Equal(0, requeued);
        Assert.Contains("dead letters requeued: 1, left: 1", requeueOutput);
        Assert.Equal(["501"], (await queue.DeadLettersAsync(10)).Select(d => d.ChatId));
        Assert.Equal(1, (await queue.SampleAsync()).Depth);
    }

    [Fact]
    public async Task Command_line_conversations_clear_resets_the_dialogs_of_idle_users_and_queues_them_a_notice_once()
    {
        var settings = Settings("secret-cli4");
        var db = redis.Connection.GetDatabase();
        var idle = DateTimeOffset.UtcNow.AddHours(-2).ToUnixTimeMilliseconds();
        await db.HashSetAsync($"{prefix}conv:601:601", [new("v", 2), new("s", "profile.city"), new("d", "{}"), new("t", idle), new("l", "uk")]);
        await db.HashSetAsync($"{prefix}conv:602:602", [new("v", 5), new("s", "profile.name"), new("d", "{}"), new("t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())]);
        var queue = new ChatQueue(redis.Connection, Options.Create(new BotOptions { RedisKeyPrefix = prefix }));

        var (first, firstOutput) = await RunCommandLineAsync(settings, "conversations", "clear", "--older-than", "1h");
        var (second, secondOutput) = await RunCommandLineAsync(settings, "conversations", "clear", "--older-than", "1h");

        Assert.Equal(0, first);
        Assert.Contains("dialogs reset: 1, users told: 1", firstOutput);
        Assert.Equal(0, second);
        Assert.Contains("dialogs reset: 0, users told: 0", secondOutput);
        Assert.Equal("", (string?)await db.HashGetAsync($"{prefix}conv:601:601", "s"));
        Assert.Equal("profile.name", (string?)await db.HashGetAsync($"{prefix}conv:602:602", "s"));
        // The notice waits in the user's chat queue, in the dialog's language.
        Assert.Equal(1, (await queue.SampleAsync()).Depth);
        var entry = QueuedEntry.Parse((await db.SortedSetRangeByRankAsync(queue.QueueKey("601"))).Single()!);
        Assert.Equal((EntryKind.Notification, "conversation-reset:601:601:3"), (entry.Kind, entry.Id));
        Assert.Contains("Надішліть /profile", Mesh.Bot.Grpc.SendNotificationRequest.Parser.ParseFrom(entry.Payload.Span).Text);
    }

    /// <summary>Runs <c>BotService &lt;args&gt;</c> as <c>dotnet run --project BotService -- &lt;args&gt;</c> would, configured by environment variables.</summary>
    static async Task<(int ExitCode, string Output)> RunCommandLineAsync(IReadOnlyDictionary<string, string?> settings, params string[] args)
    {
        var dll = ServiceHost.DllOf("BotService");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        info.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment["DOTNET_ENVIRONMENT"] = "Development";
        foreach (var (key, value) in settings)
        {
            info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
