namespace Mesh.TelegramSandbox.Bots;

/// <summary>
/// Which messages of a group reach a bot in privacy mode, on by default for every bot and the only mode the sandbox has
/// (core.telegram.org/bots/features#privacy-mode; a bot with it off, or a group's admin, gets every message): commands
/// meant for it (<c>/start@this_bot</c>, and <c>/start</c>, "if the bot was the last bot to send a message to the group",
/// which the group's one bot always is; not <c>/start@other_bot</c>), replies to its messages, and messages that
/// mention it (<c>@this_bot</c>, as BotFather describes the setting). Everything else in a group is kept from it, and
/// everything of a private chat reaches it.
/// </summary>
public static class PrivacyMode
{
    /// <summary>Whether <paramref name="message"/>, a user's, is sent to <paramref name="bot"/>. Call under the bot's lock.</summary>
    public static bool Delivers(SandboxBot bot, SandboxChat chat, SandboxMessage message)
    {
        if (!chat.IsGroup) return true;
        if (message.ReplyToMessageId is { } id && chat.Find(id) is { FromBot: true }) return true;
        var text = message.Text.AsSpan();
        if (text.StartsWith('/'))
        {
            var word = text[1..];
            var end = word.IndexOfAny(' ', '\n', '\t');
            if (end >= 0) word = word[..end];
            var at = word.IndexOf('@');
            if (at < 0 || word[(at + 1)..].Equals(bot.Username, StringComparison.OrdinalIgnoreCase)) return true;
        }
        return Mentions(text, bot.Username);
    }

    /// <summary>Whether <paramref name="text"/> holds <c>@username</c> as a word (not inside a longer name or an address).</summary>
    private static bool Mentions(ReadOnlySpan<char> text, string username)
    {
        for (var i = text.IndexOf('@'); i >= 0; i = text.IndexOf('@'))
        {
            var before = i > 0 ? text[i - 1] : ' ';
            var rest = text[(i + 1)..];
            if (!IsNameChar(before) && rest.StartsWith(username, StringComparison.OrdinalIgnoreCase)
                && (rest.Length == username.Length || !IsNameChar(rest[username.Length])))
                return true;
            text = rest;
        }
        return false;
    }

    private static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';
}
