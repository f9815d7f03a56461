using Mesh.Testing;
using Mesh.Testing.Sandbox;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Mesh.TelegramSandbox.Client;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types.Enums;

namespace Mesh.TelegramSandbox.Tests;

public sealed class WebhookTests(SandboxHost sandbox) : SandboxTest(sandbox)
{
    [Fact]
    public async Task Update_is_posted_to_the_webhook_with_the_secret_header()
    {
        await using var receiver = await WebhookReceiver.StartAsync(Ct);
        await Bot.SetWebhook(receiver.Url, secretToken: "s3cr3t_-X", cancellationToken: Ct);

        var sent = await Client.SendTextAsync(Token, Alice, "hello", Ct);
        await Until.TrueAsync(() => receiver.Accepted.Any(), "the receiver to accept an update");

        var received = Assert.Single(receiver.Received);
        Assert.Equal("s3cr3t_-X", received.Secret);
        Assert.Equal(sent.UpdateId, received.UpdateId);
        Assert.Equal("hello", received.Text);
        await Until.TrueAsync(async () => (await Bot.GetWebhookInfo(Ct)).PendingUpdateCount == 0, "no pending update left");
    }

    [Fact]
    public async Task Failed_delivery_is_retried_until_2xx_and_the_error_is_recorded()
    {
        await using var receiver = await WebhookReceiver.StartAsync(Ct);
        var attempts = 0;
        receiver.Respond = _ => Task.FromResult(Interlocked.Increment(ref attempts) <= 3 ? 500 : 200);
        await Bot.SetWebhook(receiver.Url, cancellationToken: Ct);

        await Client.SendTextAsync(Token, Alice, "retry me", Ct);
        await Until.TrueAsync(() => receiver.Accepted.Any(), "the receiver to accept an update");
        // The receiver sees its 200 before the sandbox reads it, so the pending count reaches 0 a moment later.
        await Until.TrueAsync(async () => (await Bot.GetWebhookInfo(Ct)).PendingUpdateCount == 0, "no pending update left");
        var info = await Bot.GetWebhookInfo(Ct);

        Assert.Equal(4, receiver.Received.Count);
        Assert.Single(receiver.Received.Select(r => r.UpdateId).Distinct());
        Assert.Equal("Wrong response from the webhook: 500 Internal Server Error", info.LastErrorMessage);
        Assert.NotNull(info.LastErrorDate);
    }

    [Fact]
    public async Task A_redirect_is_not_followed_but_recorded_as_a_wrong_response_and_retried()
    {
        await using var receiver = await WebhookReceiver.StartAsync(Ct);
        var attempts = 0;
        receiver.Respond = _ => Task.FromResult(Interlocked.Increment(ref attempts) == 1 ? 307 : 200);
        await Bot.SetWebhook(receiver.Url, cancellationToken: Ct);

        await Client.SendTextAsync(Token, Alice, "moved?", Ct);
        await Until.TrueAsync(() => receiver.Accepted.Any(), "the receiver to accept an update");
        await Until.TrueAsync(async () => (await Bot.GetWebhookInfo(Ct)).PendingUpdateCount == 0, "no pending update left");

        Assert.Equal("Wrong response from the webhook: 307 Temporary Redirect", (await Bot.GetWebhookInfo(Ct)).LastErrorMessage);
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task A_method_in_the_webhooks_answer_is_performed(string contentType)
    {
        await using var receiver = await WebhookReceiver.StartAsync(Ct);
        receiver.Reply = update => contentType == "application/json"
            ? (contentType, new JsonObject { ["method"] = "sendMessage", ["chat_id"] = Alice.Id, ["text"] = "<b>echo</b> " + update["message"]!["text"], ["parse_mode"] = "HTML" }.ToJsonString())
            : (contentType, $"method=sendMessage&chat_id={Alice.Id}&text=echo+{update["message"]!["text"]}");
        await Bot.SetWebhook(receiver.Url, cancellationToken: Ct);

        await Client.SendTextAsync(Token, Alice, "ping", Ct);
        var reply = await Client.WaitForBotMessageAsync(Token, Alice.Id, m => m.Text == "echo ping", ct: Ct);
        var calls = await Client.GetCallsAsync(Token, Ct);

        Assert.Equal(contentType == "application/json" ? "bold" : null, reply.Entities?[0]?["type"]?.ToString());
        Assert.Equal(1, calls.Calls["sendMessage"]);
    }

    [Theory]
    [InlineData("""{"method":"sendMessage","chat_id":1001,"text":""}""")] // refused: message text is empty
    [InlineData("""{"method":"sendMessage","chat_id":1001,"text":"hi","reply_markup":{"inline_keyboard":[[{"text":"x","callback_data":""}]]}}""")]
    [InlineData("""{"method":"noSuchMethod"}""")]
    public async Task A_failing_method_in_the_webhooks_answer_is_ignored_and_the_update_counts_as_delivered(string call)
    {
        await using var receiver = await WebhookReceiver.StartAsync(Ct);
        receiver.Reply = _ => ("application/json", call);
        await Client.SendTextAsync(Token, Alice, "/start", Ct);
        await Bot.SetWebhook(receiver.Url, cancellationToken: Ct);

        await Until.TrueAsync(async () => (await Bot.GetWebhookInfo(Ct)).PendingUpdateCount == 0, "no pending update left");
        var info = await Bot.GetWebhookInfo(Ct);
        var chat = await Client.GetChatAsync(Token, Alice.Id, ct: Ct);

        Assert.Single(receiver.Received);
        Assert.Null(info.LastErrorMessage);
        Assert.DoesNotContain(chat.Messages, m => m.FromBot);
    }

    [Fact]
    public async Task A_2xx_answer_whose_body_breaks_off_still_delivers_the_update_once()
    {
        // A webhook that answers 200 and then drops the connection in the middle of its body.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var deliveries = 0;
        var serving = Task.Run(async () =>
        {
            while (!Ct.IsCancellationRequested)
            {
                using var client = await listener.AcceptTcpClientAsync(Ct);
                var stream = client.GetStream();
                var request = new List<byte>();
                var buffer = new byte[4096];
                int headerEnd;
                while ((headerEnd = Encoding.ASCII.GetString([.. request]).IndexOf("\r\n\r\n", StringComparison.Ordinal)) < 0)
                {
                    request.AddRange(buffer.AsSpan(0, await stream.ReadAsync(buffer, Ct)));
                }
                var length = int.Parse(Regex.Match(Encoding.ASCII.GetString([.. request], 0, headerEnd), @"Content-Length: (\d+)", RegexOptions.IgnoreCase).Groups[1].Value);
                while (request.Count < headerEnd + 4 + length)
                {
                    request.AddRange(buffer.AsSpan(0, await stream.ReadAsync(buffer, Ct)));
                }
                Interlocked.Increment(ref deliveries);
                await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"method\":\"sendMe"u8.ToArray(), Ct);
                await stream.FlushAsync(Ct);
                client.Client.Shutdown(SocketShutdown.Both);
            }
        }, Ct);
        await Bot.SetWebhook($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/hook", cancellationToken: Ct);

        await Client.SendTextAsync(Token, Alice, "/start", Ct);
        await Until.TrueAsync(async () => Volatile.Read(ref deliveries) >= 1 && (await Bot.GetWebhookInfo(Ct)).PendingUpdateCount == 0, "no pending update left");
        var info = await Bot.GetWebhookInfo(Ct);
        await Bot.DeleteWebhook(cancellationToken: Ct);

        Assert.Equal(1, Volatile.Read(ref deliveries));
        Assert.Null(info.LastErrorMessage);
    }

    [Fact]
    public async Task A_method_in_the_webhooks_answer_takes_from_the_flood_limits_and_past_them_is_ignored()
    {
        await using var host = await SandboxHost.StartAsync(new Dictionary<string, string?>
        {
            ["Sandbox:Limits:PerChatPerSecond"] = "0.01",
            ["Sandbox:Limits:PerChatBurst"] = "2",
        }, Ct);
        var bot = NewBot(host, host.BotToken);
        await using var receiver = await WebhookReceiver.StartAsync(Ct);
        receiver.Reply = update => ("application/json",
            new JsonObject { ["method"] = "sendMessage", ["chat_id"] = Alice.Id, ["text"] = "echo " + update["message"]!["text"] }.ToJsonString());
        await bot.SetWebhook(receiver.Url, cancellationToken: Ct);

        for (var i = 1; i <= 3; i++) await host.Client.SendTextAsync(host.BotToken, Alice, $"m{i}", Ct);
        await Until.TrueAsync(() => receiver.Received.Count == 3, "3 deliveries");
        await Until.TrueAsync(async () => (await bot.GetWebhookInfo(Ct)).PendingUpdateCount == 0, "no pending update left");
        var chat = await host.Client.GetChatAsync(host.BotToken, Alice.Id, ct: Ct);
        var direct = await Assert.ThrowsAsync<ApiRequestException>(() => bot.SendMessage(Alice.Id, "direct", cancellationToken: Ct));

        Assert.Equal(["echo m1", "echo m2"], chat.Messages.Where(m => m.FromBot).Select(m => m.Text));
        Assert.Equal(429, direct.ErrorCode);
        Assert.Equal(3, receiver.Received.Count); // the refused third is not a failed delivery
    }

    [Fact]
    public async Task Pending_update_count_includes_updates_waiting_for_retry()
    {
        await using var receiver = await WebhookReceiver.StartAsync(Ct);
        receiver.Respond = _ => Task.FromResult(503);
        await Bot.SetWebhook(receiver.Url, cancellationToken: Ct);

        await Client.SendTextAsync(Token, Alice, "one", Ct);
        await Client.SendTextAsync(Token, Boris, "two", Ct);
        await Until.TrueAsync(() => receiver.Received.Count >= 2, "a second delivery");
        var info = await Bot.GetWebhookInfo(Ct);

        Assert.Equal(2, info.PendingUpdateCount);
        Assert.Equal(receiver.Url, info.Url);
        Assert.Equal(40, info.MaxConnections);
    }

    [Fact]
    public async Task Updates_of_one_chat_are_delivered_one_at_a_time_in_order()
    {
        await using var receiver = await WebhookReceiver.StartAsync(Ct);
        var failedFirst = 0;
        receiver.Respond = async update =>
        {
            await Task.Yield();
            return update["message"]?["text"]?.ToString() == "m1" && Interlocked.Increment(ref failedFirst) <= 2 ? 500 : 200;
        };
        await Bot.SetWebhook(receiver.Url, maxConnections: 10, cancellationToken: Ct);

        for (var i = 1; i <= 5; i++) await Client.SendTextAsync(Token, Alice, $"m{i}", Ct);
        await Until.TrueAsync(() => receiver.Accepted.Count() == 5, "5 accepted updates");

        Assert.Equal(["m1", "m2", "m3", "m4", "m5"], receiver.Accepted.Select(r => r.Text));
        Assert.Equal(["m1", "m1", "m1", "m2", "m3", "m4", "m5"], receiver.Received.Select(r => r.Text));
        Assert.Equal(1, receiver.MaxInFlight);
    }

    [Fact]
    public async Task At_most_max_connections_deliveries_run_at_once()
    {
        await using var receiver = await WebhookReceiver.StartAsync(Ct);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        receiver.Respond = async _ =>
        {
            await gate.Task;
            return 200;
        };
        await Bot.SetWebhook(receiver.Url, maxConnections: 2, cancellationToken: Ct);

        for (var user = 1; user <= 6; user++) await Client.SendTextAsync(Token, new SandboxUser(5000 + user, $"User {user}"), "hi", Ct);
        await Until.TrueAsync(() => receiver.InFlight == 2, "2 deliveries in flight");
        gate.SetResult();
        await Until.TrueAsync(() => receiver.Accepted.Count() == 6, "6 accepted updates");

        Assert.Equal(2, receiver.MaxInFlight);
    }

    [Fact]
    public async Task Allowed_updates_filter_what_is_delivered()
    {
        await using var receiver = await WebhookReceiver.StartAsync(Ct);
        await Bot.SetWebhook(receiver.Url, allowedUpdates: [UpdateType.CallbackQuery], cancellationToken: Ct);

        var dropped = await Client.SendTextAsync(Token, Alice, "ignored", Ct);
        var info = await Bot.GetWebhookInfo(Ct);

        Assert.Null(dropped.UpdateId);
        Assert.Equal([UpdateType.CallbackQuery], info.AllowedUpdates);
        Assert.Equal(0, info.PendingUpdateCount);
    }

    [Fact]
    public async Task Webhook_with_a_bad_secret_or_url_is_refused()
    {
        var secret = await Assert.ThrowsAsync<ApiRequestException>(() => Bot.SetWebhook("https://example.com/hook", secretToken: "not allowed!", cancellationToken: Ct));
        var url = await Assert.ThrowsAsync<ApiRequestException>(() => Bot.SetWebhook("ftp://example.com/hook", cancellationToken: Ct));

        Assert.Equal(400, secret.ErrorCode);
        Assert.Equal(400, url.ErrorCode);
    }

    [Fact]
    public async Task Deleting_the_webhook_with_drop_pending_forgets_updates()
    {
        await using var receiver = await WebhookReceiver.StartAsync(Ct);
        receiver.Respond = _ => Task.FromResult(500);
        await Bot.SetWebhook(receiver.Url, cancellationToken: Ct);
        await Client.SendTextAsync(Token, Alice, "stuck", Ct);
        await Until.TrueAsync(() => !receiver.Received.IsEmpty, "a delivery");

        await Bot.DeleteWebhook(dropPendingUpdates: true, cancellationToken: Ct);
        await Until.TrueAsync(async () => (await Bot.GetWebhookInfo(Ct)).PendingUpdateCount == 0, "no pending update left");
        var info = await Bot.GetWebhookInfo(Ct);

        Assert.Equal("", info.Url);
    }
}
