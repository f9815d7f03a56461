using System.Net.Http.Json;

namespace Mesh.TelegramSandbox.Client;

/// <summary>
/// A typed client of the sandbox's control API (<c>/sandbox/api</c>): act as a user, read and wait for what the bot
/// sent, block the bot, switch faults on; make a group and act as its members (the overloads with a <c>chatId</c>).
/// <c>bot</c> parameters take the bot's token (or its id as text).
/// </summary>
public sealed class SandboxClient(HttpClient http)
{
    private const string Api = "/sandbox/api";

    public HttpClient Http { get; } = http;

    public async Task<IReadOnlyList<SandboxBotInfo>> GetBotsAsync(CancellationToken ct = default) =>
        await Http.GetFromJsonAsync<List<SandboxBotInfo>>($"{Api}/bots", ct) ?? [];

    /// <summary>Creates the bot of a token now rather than on its first Bot API call.</summary>
    public Task<SandboxBotInfo> RegisterBotAsync(string botToken, CancellationToken ct = default) =>
        PostAsync<SandboxBotInfo>($"{Api}/bots", new RegisterBotRequest(botToken), ct);

    /// <summary>The user writes <paramref name="text"/> to the bot (a leading <c>/command</c> is a bot_command).</summary>
    public Task<SentUserMessage> SendTextAsync(string botToken, SandboxUser user, string text, CancellationToken ct = default) =>
        PostAsync<SentUserMessage>($"{Bot(botToken)}/messages", new SendTextRequest(user, text), ct);

    /// <summary>
    /// A group of <paramref name="members"/> with the bot in it, added by the first of them (the bot gets a
    /// <c>my_chat_member</c>); its <see cref="SandboxChatSummary.ChatId"/> is the group's (negative) id.
    /// </summary>
    public Task<SandboxChatSummary> CreateGroupAsync(string botToken, string title, IReadOnlyList<SandboxUser> members, bool supergroup = false, CancellationToken ct = default) =>
        PostAsync<SandboxChatSummary>($"{Bot(botToken)}/groups", new CreateGroupRequest(title, members, supergroup), ct);

    /// <summary>
    /// The member <paramref name="user"/> writes <paramref name="text"/> in the group <paramref name="chatId"/> (or in
    /// their private chat, given its id), as a reply to <paramref name="replyToMessageId"/> when given. In a group the
    /// bot gets it only as privacy mode allows: a command, a reply to the bot, a mention of it
    /// (<see cref="SentUserMessage.UpdateId"/> null otherwise).
    /// </summary>
    public Task<SentUserMessage> SendTextAsync(string botToken, long chatId, SandboxUser user, string text, int? replyToMessageId = null, CancellationToken ct = default) =>
        PostAsync<SentUserMessage>($"{Bot(botToken)}/messages", new SendTextRequest(user, text, replyToMessageId, chatId), ct);

    /// <summary>
    /// The user edits their message <paramref name="messageId"/> to <paramref name="text"/>: the bot gets an
    /// <c>edited_message</c> (same message id, the new text, an edit date), as Telegram sends it.
    /// </summary>
    public async Task<SentUserMessage> EditTextAsync(string botToken, SandboxUser user, int messageId, string text, CancellationToken ct = default)
    {
        using var response = await Http.PutAsJsonAsync($"{Bot(botToken)}/messages/{messageId}", new EditTextRequest(user, text), ct);
        await EnsureSuccessAsync(response, ct);
        return (await response.Content.ReadFromJsonAsync<SentUserMessage>(ct))!;
    }

    /// <summary>The member <paramref name="user"/> edits their message <paramref name="messageId"/> of the group <paramref name="chatId"/>.</summary>
    public async Task<SentUserMessage> EditTextAsync(string botToken, long chatId, SandboxUser user, int messageId, string text, CancellationToken ct = default)
    {
        using var response = await Http.PutAsJsonAsync($"{Bot(botToken)}/messages/{messageId}", new EditTextRequest(user, text, chatId), ct);
        await EnsureSuccessAsync(response, ct);
        return (await response.Content.ReadFromJsonAsync<SentUserMessage>(ct))!;
    }

    /// <summary>
    /// The user <paramref name="userId"/> deletes their message <paramref name="messageId"/> of chat <paramref name="chatId"/>
    /// (their private chat's id, or a group's): the bot is told nothing, as in Telegram.
    /// </summary>
    public async Task DeleteMessageAsync(string botToken, long chatId, long userId, int messageId, CancellationToken ct = default)
    {
        using var response = await Http.DeleteAsync($"{Bot(botToken)}/chats/{chatId}/messages/{messageId}?user={userId}", ct);
        await EnsureSuccessAsync(response, ct);
    }

    /// <summary>The user presses the inline button with <paramref name="callbackData"/> under the bot's message.</summary>
    public Task<PressedButton> PressButtonAsync(string botToken, SandboxUser user, int messageId, string callbackData, CancellationToken ct = default) =>
        PostAsync<PressedButton>($"{Bot(botToken)}/callbacks", new PressButtonRequest(user, messageId, callbackData), ct);

    /// <summary>The member <paramref name="user"/> presses a button of the bot's message <paramref name="messageId"/> in the group <paramref name="chatId"/> (any member may press any).</summary>
    public Task<PressedButton> PressButtonAsync(string botToken, long chatId, SandboxUser user, int messageId, string callbackData, CancellationToken ct = default) =>
        PostAsync<PressedButton>($"{Bot(botToken)}/callbacks", new PressButtonRequest(user, messageId, callbackData, ChatId: chatId), ct);

    public Task BlockAsync(string botToken, long userId, CancellationToken ct = default) => SetBlockedAsync(botToken, userId, true, ct);

    public Task UnblockAsync(string botToken, long userId, CancellationToken ct = default) => SetBlockedAsync(botToken, userId, false, ct);

    /// <summary>The user pays the bot's invoice message: the bot gets a pre_checkout_query.</summary>
    public Task<PayInvoiceResult> PayInvoiceAsync(string botToken, SandboxUser user, int messageId, CancellationToken ct = default) =>
        PostAsync<PayInvoiceResult>($"{Bot(botToken)}/payments", new PayInvoiceRequest(user, messageId), ct);

    public async Task<PreCheckoutState> GetPreCheckoutAsync(string botToken, string queryId, CancellationToken ct = default) =>
        (await Http.GetFromJsonAsync<PreCheckoutState>($"{Bot(botToken)}/payments/{Uri.EscapeDataString(queryId)}", ct))!;

    public async Task<IReadOnlyList<SandboxChatSummary>> GetChatsAsync(string botToken, CancellationToken ct = default) =>
        await Http.GetFromJsonAsync<List<SandboxChatSummary>>($"{Bot(botToken)}/chats", ct) ?? [];

    /// <summary>The chat now; with <paramref name="since"/>, waits up to <paramref name="wait"/> for a newer version.</summary>
    public async Task<SandboxChatState> GetChatAsync(string botToken, long chatId, long? since = null, TimeSpan? wait = null, CancellationToken ct = default)
    {
        var url = $"{Bot(botToken)}/chats/{chatId}";
        if (since is { } version) url += $"?since={version}&wait={(wait ?? TimeSpan.FromSeconds(10)).TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        return (await Http.GetFromJsonAsync<SandboxChatState>(url, ct))!;
    }

    /// <summary>The bot's messages in a chat (deleted ones included, flagged).</summary>
    public async Task<IReadOnlyList<SandboxChatMessage>> GetBotMessagesAsync(string botToken, long chatId, CancellationToken ct = default) =>
        [.. (await GetChatAsync(botToken, chatId, ct: ct)).Messages.Where(m => m.FromBot)];

    /// <summary>
    /// Waits for the first of the bot's (not deleted) messages after <paramref name="afterMessageId"/> that matches
    /// <paramref name="predicate"/> (edits count: a message edited into a match is returned). Throws
    /// <see cref="TimeoutException"/> at the deadline.
    /// </summary>
    public Task<SandboxChatMessage> WaitForBotMessageAsync(
        string botToken, long chatId, Func<SandboxChatMessage, bool>? predicate = null, TimeSpan? timeout = null,
        int afterMessageId = 0, CancellationToken ct = default) =>
        WaitForAsync(botToken, chatId, state => state.Messages.FirstOrDefault(m =>
            m.FromBot && !m.Deleted && m.MessageId > afterMessageId && (predicate is null || predicate(m))), timeout, ct);

    /// <summary>Waits for the bot's answer to a callback query.</summary>
    public Task<SandboxCallbackAnswer> WaitForCallbackAnswerAsync(string botToken, long chatId, string callbackQueryId, TimeSpan? timeout = null, CancellationToken ct = default) =>
        WaitForAsync(botToken, chatId, state => state.CallbackAnswers.FirstOrDefault(a => a.CallbackQueryId == callbackQueryId), timeout, ct);

    /// <summary>Long-polls the chat until <paramref name="select"/> finds something or the deadline passes.</summary>
    public async Task<T> WaitForAsync<T>(string botToken, long chatId, Func<SandboxChatState, T?> select, TimeSpan? timeout = null, CancellationToken ct = default)
        where T : class
    {
        var deadline = DateTimeOffset.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        long? version = null;
        while (true)
        {
            var remaining = deadline - DateTimeOffset.UtcNow;
            var state = await GetChatAsync(botToken, chatId, version, remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, ct);
            if (select(state) is { } found) return found;
            if (DateTimeOffset.UtcNow >= deadline) throw new TimeoutException($"Nothing matched in chat {chatId} within the deadline.");
            version = state.Version;
        }
    }

    /// <summary>Every Bot API call answers <paramref name="statusCode"/> (5xx or 429) for <paramref name="duration"/>.</summary>
    public async Task SetFaultAsync(int statusCode, TimeSpan duration, int retryAfterSeconds = 1, CancellationToken ct = default)
    {
        using var response = await Http.PutAsJsonAsync($"{Api}/fault", new SetFaultRequest(statusCode, duration.TotalSeconds, retryAfterSeconds), ct);
        await EnsureSuccessAsync(response, ct);
    }

    public async Task ClearFaultAsync(CancellationToken ct = default)
    {
        using var response = await Http.DeleteAsync($"{Api}/fault", ct);
        await EnsureSuccessAsync(response, ct);
    }

    /// <summary>The bot's Bot API calls so far, per method, and the 409 Conflicts among them.</summary>
    public async Task<BotCalls> GetCallsAsync(string botToken, CancellationToken ct = default) =>
        (await Http.GetFromJsonAsync<BotCalls>($"{Bot(botToken)}/calls", ct))!;

    /// <summary>Messages answered in sink mode since start or the last reset.</summary>
    public async Task<long> GetSinkCountAsync(CancellationToken ct = default) =>
        (await Http.GetFromJsonAsync<SinkCount>($"{Api}/sink", ct))!.Count;

    public async Task ResetSinkCountAsync(CancellationToken ct = default)
    {
        using var response = await Http.DeleteAsync($"{Api}/sink", ct);
        await EnsureSuccessAsync(response, ct);
    }

    private static string Bot(string botToken) => $"{Api}/bots/{Uri.EscapeDataString(botToken)}";

    private async Task SetBlockedAsync(string botToken, long userId, bool blocked, CancellationToken ct)
    {
        using var response = await Http.PutAsJsonAsync($"{Bot(botToken)}/chats/{userId}/blocked", new BlockRequest(blocked), ct);
        await EnsureSuccessAsync(response, ct);
    }

    private async Task<T> PostAsync<T>(string url, object body, CancellationToken ct)
    {
        using var response = await Http.PostAsJsonAsync(url, body, ct);
        await EnsureSuccessAsync(response, ct);
        return (await response.Content.ReadFromJsonAsync<T>(ct))!;
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode) return;
        var detail = await response.Content.ReadAsStringAsync(ct);
        throw new HttpRequestException($"Sandbox control API answered {(int)response.StatusCode}: {detail}", null, response.StatusCode);
    }
}
