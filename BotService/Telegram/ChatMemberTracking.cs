using Mesh.Bot.Conversations;
using Mesh.Bot.Updates;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;

namespace Mesh.Bot.Telegram;

/// <summary>
/// Telegram's <c>my_chat_member</c> update of a private chat, sent when the user blocks the bot (the bot's new status
/// <c>kicked</c>) or unblocks it (<c>member</c>): the chat is marked unreachable, or the mark is taken away
/// (<see cref="UnreachableChats"/>). A send refused with 403 marks it as well (<see cref="OutboundSender"/>); only the
/// user's unblocking clears it, so the mark says who cannot be reached now, not who once could not. Such an update
/// goes no further down the pipeline: it has nothing to answer.
/// </summary>
public sealed class ChatMemberTracking(UnreachableChats unreachable) : IBotMiddleware
{
    // Every other update passes straight on: no async frame of its own on the hot path.
    public Task InvokeAsync(BotContext ctx, Func<Task> next) =>
        ctx.Update.MyChatMember is { Chat.Type: ChatType.Private } change ? TrackAsync(ctx, change) : next();

    async Task TrackAsync(BotContext ctx, ChatMemberUpdated change)
    {
        ctx.RouteName = "chat member";
        switch (change.NewChatMember.Status)
        {
            case ChatMemberStatus.Kicked:
                await unreachable.MarkAsync(change.Chat.Id);
                break;
            case ChatMemberStatus.Member:
                await unreachable.ClearAsync(change.Chat.Id);
                break;
        }
    }
}
