using System.Globalization;
using System.Text.Json.Nodes;
using Mesh.TelegramSandbox.Bots;

namespace Mesh.TelegramSandbox.BotApi;

/// <summary>
/// Mentions of users by id, as Telegram makes them: a link to <c>tg://user?id=&lt;id&gt;</c> (HTML <c>&lt;a href&gt;</c>,
/// MarkdownV2 <c>[name](tg://user?id=…)</c>) becomes a <c>text_mention</c> entity carrying the user, when the bot knows
/// the user (someone in one of its chats: tdlib can reach only users it has seen); of a user it does not know, the
/// mention is dropped and the text stays plain. Done after the text is parsed and fixed (<see cref="FormattedText"/>,
/// which keeps such a link as a <c>text_link</c>), under the bot's lock.
/// </summary>
public static class UserMentions
{
    const string Prefix = "tg://user?id=";

    /// <summary><paramref name="entities"/> with every link to a user resolved against the users <paramref name="bot"/> knows.</summary>
    public static JsonArray? Resolve(JsonArray? entities, SandboxBot bot)
    {
        if (entities is null || !entities.Any(IsUserLink))
        {
            return entities;
        }
        var resolved = new JsonArray();
        foreach (var entity in entities)
        {
            if (!IsUserLink(entity))
            {
                resolved.Add(entity!.DeepClone());
                continue;
            }
            var url = entity!["url"]!.GetValue<string>();
            if (long.TryParse(url.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var id) && Known(bot, id) is { } user)
            {
                resolved.Add(new JsonObject
                {
                    ["type"] = "text_mention",
                    ["offset"] = entity["offset"]!.DeepClone(),
                    ["length"] = entity["length"]!.DeepClone(),
                    ["user"] = TelegramJson.User(user),
                });
            }
        }
        return resolved;
    }

    static bool IsUserLink(JsonNode? entity) =>
        entity?["type"]?.GetValue<string>() == "text_link"
        && entity["url"]?.GetValue<string>() is { } url && url.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>The user of that id in one of the bot's chats: a private chat's user or a group's member.</summary>
    static SandboxUserProfile? Known(SandboxBot bot, long id)
    {
        foreach (var chat in bot.Chats.Values)
        {
            if (chat.User.Id == id)
            {
                return chat.User;
            }
            if (chat.IsGroup && chat.Members.TryGetValue(id, out var member))
            {
                return member;
            }
        }
        return null;
    }
}
