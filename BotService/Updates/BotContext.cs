using Mesh.Bot.Telegram;
using StackExchange.Redis;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;
using Telegram.Bot.Types.ReplyMarkups;

namespace Mesh.Bot.Updates;

/// <summary>
/// One update on its way through the handler pipeline: the update, who sent it, where to answer, and the scope's
/// services. Middlewares (the router and conversation state of later features) read it and add to <see cref="Items"/>.
/// </summary>
public sealed class BotContext(Update update, long chatId, OutboundSender sender, IServiceProvider services, CancellationToken cancellationToken)
{
    public Update Update { get; } = update;

    public long UpdateId => Update.Id;

    /// <summary>The chat the update belongs to (the queue it came from).</summary>
    public long ChatId { get; } = chatId;

    public User? From => Update.Message?.From ?? Update.CallbackQuery?.From ?? Update.EditedMessage?.From;

    /// <summary>Whether the update comes from a group or a supergroup, where several members share the chat.</summary>
    public bool InGroup =>
        (Update.Message?.Chat ?? Update.CallbackQuery?.Message?.Chat ?? Update.EditedMessage?.Chat)?.Type is ChatType.Group or ChatType.Supergroup;

    /// <summary>
    /// In a group, the member's message that the bot's messages for this update reply to: the message itself, or for a
    /// button press the message the pressed one replies to (the command the keyboard answers). A keyboard drawn in a
    /// group thus names the member it is for (its <c>reply_to_message.from</c>), which a press on it is checked against
    /// (<see cref="Conversations.BotDispatcher"/>), and the group sees whom the bot answers. Null in a private chat,
    /// where a reply would tell nothing, and for a press on a keyboard that replies to nothing.
    /// </summary>
    public int? ReplyTo => !InGroup ? null : Update.Message?.Id ?? Update.CallbackQuery?.Message?.ReplyToMessage?.Id ?? Update.EditedMessage?.Id;

    /// <summary>The text of a message update, or null.</summary>
    public string? Text => Update.Message?.Text;

    string? command;
    bool commandRead;

    /// <summary>
    /// The command of <see cref="Text"/> (<c>/start@MeshBot payload</c> → <c>start</c>: <see cref="Features.Start.BotCommand.Of"/>),
    /// or null when it is none. Read once: the router asks for it at every command route it tries.
    /// </summary>
    public string? Command
    {
        get
        {
            if (!commandRead)
            {
                command = Features.Start.BotCommand.Of(Text);
                commandRead = true;
            }
            return command;
        }
    }

    public IServiceProvider Services { get; } = services;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    /// <summary>The chat's values the queue read with this update (<see cref="ChatSnapshotKeys"/>), or null.</summary>
    public ChatSnapshot? Snapshot { get; init; }

    /// <summary>State shared between middlewares for this update.</summary>
    public IDictionary<string, object?> Items { get; } = new Dictionary<string, object?>(ItemsCapacity);

    /// <summary>Room for what the conversation middlewares keep (flow, texts, menu, route) without growing.</summary>
    const int ItemsCapacity = 6;

    /// <summary>Whether some handler answered; the fallback looks at it.</summary>
    public bool Handled { get; set; }

    List<HashWrite>? writes;

    /// <summary>
    /// A Redis write that needs no answer before the handler goes on (a menu's new version after its message went out).
    /// It is applied by the script that acknowledges the update, in the same step and only while this worker still
    /// holds the chat (a worker that lost the chat to another writes nothing); not at all when the handler fails (the
    /// update is tried again, and writes again). The chat's next update reads what it wrote.
    /// </summary>
    public void WriteWithAck(HashWrite write) => (writes ??= []).Add(write);

    /// <summary>The writes of <see cref="WriteWithAck"/>, for the worker.</summary>
    internal IReadOnlyList<HashWrite>? WritesWithAck => writes;

    /// <summary>Sends a message to this chat through the rate-limited sender; a send that finally fails throws, so the update is tried again.</summary>
    public async Task<SendOutcome> ReplyAsync(string text, InlineKeyboardMarkup? keyboard = null, ParseMode parseMode = ParseMode.Html)
    {
        Handled = true;
        var sent = await sender.SendAsync(ChatId, text, keyboard, parseMode, ReplyTo, CancellationToken);
        if (sent.Outcome == SendOutcome.Failed)
        {
            throw new TelegramSendFailed(ChatId, sent.Error);
        }
        return sent.Outcome;
    }
}
