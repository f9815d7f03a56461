using Mesh.Bot.Conversations;
using Mesh.Bot.Updates;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;

namespace Mesh.Bot.Telegram;

/// <summary>
/// Telegram's <c>my_chat_member</c> update of a private chat, sent when the user blocks the bot (the bot's new status
/// <c>kicked</c>) or unblocks it (<c>member</c>): the chat is marked unreachable, or the mark is taken away
/// (<see cref="UnreachableChats"/>). A send refused with 403 marks it as well (<see cref="OutboundSender"/>); only the
/// user's unblocking clears it, so the mark says who cannot be reached now, not who once could not. The dispatcher
/// (<see cref="BotDispatcher"/>) hands it these updates; they have nothing to answer.
/// </summary>
public sealed class ChatMemberTracking(UnreachableChats unreachable)
{
    /// <summary>Records the change of a private chat's <paramref name="change"/>; false for any other chat.</summary>
    public async Task<bool> TrackAsync(BotContext ctx, ChatMemberUpdated change)
    {
        if (change.Chat.Type != ChatType.Private)
        {
            return false;
        }
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
        return true;
    }
}
