using Mesh.TelegramSandbox.Bots;

namespace Mesh.TelegramSandbox.BotApi;

/// <summary>
/// Finds the chat a call's chat_id names: a user's id or <c>@username</c>, once the user started the bot, or a group's
/// (negative) id once the bot is in it.
/// </summary>
public static class ChatLookup
{
    /// <summary>Call under the bot's lock.</summary>
    public static SandboxChat Require(SandboxBot bot, ApiArgs args, bool writing)
    {
        var raw = args.String("chat_id");
        if (string.IsNullOrEmpty(raw)) throw BotApiException.BadRequest("chat_id is empty");
        SandboxChat? chat = null;
        if (raw.StartsWith('@'))
            chat = bot.Chats.Values.FirstOrDefault(c => !c.IsGroup && string.Equals("@" + c.User.Username, raw, StringComparison.OrdinalIgnoreCase));
        else if (long.TryParse(raw, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var id))
            chat = bot.Chats.GetValueOrDefault(id);
        if (chat is null) throw BotApiException.BadRequest("chat not found");
        if (writing && chat.Blocked) throw new BotApiException(403, "Forbidden: bot was blocked by the user");
        return chat;
    }
}
