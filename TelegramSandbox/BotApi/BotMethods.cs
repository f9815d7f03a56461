using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Mesh.TelegramSandbox.Bots;

namespace Mesh.TelegramSandbox.BotApi;

/// <summary>getMe, getChat, setMyCommands, getMyCommands, deleteMyCommands.</summary>
public sealed partial class BotMethods : IBotApiMethods
{
    [GeneratedRegex("^[a-z0-9_]{1,32}$")]
    private static partial Regex CommandPattern();

    public void Map(BotApiRouter router)
    {
        router.Method("getMe", GetMeAsync);
        router.Method("getChat", GetChatAsync);
        router.Method("setMyCommands", SetMyCommandsAsync);
        router.Method("getMyCommands", GetMyCommandsAsync);
        router.Method("deleteMyCommands", DeleteMyCommandsAsync);
        router.Method("logOut", _ => ValueTask.FromResult(BotApiResult.True));
        router.Method("close", _ => ValueTask.FromResult(BotApiResult.True));
    }

    private static ValueTask<BotApiResult> GetMeAsync(BotApiCall call)
    {
        var me = TelegramJson.BotUser(call.Bot);
        me["can_join_groups"] = true;
        me["can_read_all_group_messages"] = false;
        me["supports_inline_queries"] = false;
        me["can_connect_to_business"] = false;
        me["has_main_web_app"] = false;
        return ValueTask.FromResult(new BotApiResult(me));
    }

    private static ValueTask<BotApiResult> GetChatAsync(BotApiCall call)
    {
        lock (call.Bot.Sync)
        {
            var chat = ChatLookup.Require(call.Bot, call.Args, writing: false);
            var json = TelegramJson.Chat(chat);
            json["accent_color_id"] = (int)(chat.Id % 7);
            json["max_reaction_count"] = 11;
            json["accepted_gift_types"] = new JsonObject
            {
                ["unlimited_gifts"] = false,
                ["limited_gifts"] = false,
                ["unique_gifts"] = false,
                ["premium_subscription"] = false,
                ["gifts_from_channels"] = false,
            };
            return ValueTask.FromResult(new BotApiResult(json));
        }
    }

    /// <summary>Commands are kept per scope and language, and read back for exactly that pair, as Telegram does.</summary>
    private static string CommandsKey(ApiArgs args)
    {
        var scope = args.Object("scope", "can't parse BotCommandScope JSON object");
        var type = scope?["type"]?.GetValue<string>() ?? "default";
        var target = scope?["chat_id"]?.ToString() + "/" + scope?["user_id"]?.ToString();
        var language = args.String("language_code") ?? "";
        if (language.Length is not (0 or 2)) throw BotApiException.BadRequest("invalid language code specified");
        return $"{type}:{target}|{language}";
    }

    private static ValueTask<BotApiResult> SetMyCommandsAsync(BotApiCall call)
    {
        var commands = call.Args.Array("commands", "can't parse commands JSON array") ?? throw BotApiException.BadRequest("commands is empty");
        if (commands.Count > 100) throw BotApiException.BadRequest("too many commands specified");
        var clean = new JsonArray();
        foreach (var node in commands)
        {
            var command = node?["command"]?.ToString() ?? "";
            var description = node?["description"]?.ToString() ?? "";
            if (!CommandPattern().IsMatch(command)) throw BotApiException.BadRequest("BOT_COMMAND_INVALID");
            if (description.Length is < 1 or > 256) throw BotApiException.BadRequest("BOT_COMMAND_DESCRIPTION_INVALID");
            clean.Add(new JsonObject { ["command"] = command, ["description"] = description });
        }
        var key = CommandsKey(call.Args);
        lock (call.Bot.Sync)
        {
            if (clean.Count == 0) call.Bot.Commands.Remove(key);
            else call.Bot.Commands[key] = clean;
        }
        return ValueTask.FromResult(BotApiResult.True);
    }

    private static ValueTask<BotApiResult> GetMyCommandsAsync(BotApiCall call)
    {
        var key = CommandsKey(call.Args);
        lock (call.Bot.Sync)
        {
            var commands = call.Bot.Commands.TryGetValue(key, out var list) ? list.DeepClone() : new JsonArray();
            return ValueTask.FromResult(new BotApiResult(commands));
        }
    }

    private static ValueTask<BotApiResult> DeleteMyCommandsAsync(BotApiCall call)
    {
        var key = CommandsKey(call.Args);
        lock (call.Bot.Sync) call.Bot.Commands.Remove(key);
        return ValueTask.FromResult(BotApiResult.True);
    }
}
