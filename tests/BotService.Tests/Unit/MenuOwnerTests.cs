using Mesh.Bot.Conversations;
using Mesh.Bot.Updates;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;
using MenuButton = Mesh.Bot.Conversations.MenuButton;

namespace Mesh.Bot.Tests.Unit;

/// <summary>Whose a pressed keyboard is in a group: the member whose message it replies to.</summary>
public sealed class MenuOwnerTests
{
    static readonly User Alice = new() { Id = 1, FirstName = "Alice" }, Boris = new() { Id = 2, FirstName = "Boris" };
    static readonly User Anonymous = new() { Id = 1087968824, IsBot = true, FirstName = "Group", Username = "GroupAnonymousBot" };

    static CallbackQuery Press(User presser, ChatType type, Message? repliesTo) => new()
    {
        Id = "q",
        From = presser,
        Message = new Message { Id = 10, Chat = new Chat { Id = type == ChatType.Private ? presser.Id : -100_1, Type = type }, ReplyToMessage = repliesTo },
    };

    static Message From(User user, Chat? onBehalfOf = null) => new() { Id = 9, From = user, SenderChat = onBehalfOf, Chat = new Chat { Id = -100_1, Type = ChatType.Supergroup } };

    [Fact]
    public void A_member_s_press_on_a_keyboard_answering_another_member_is_someone_else_s() =>
        Assert.True(BotDispatcher.IsSomeoneElses(Press(Boris, ChatType.Supergroup, From(Alice))));

    [Fact]
    public void A_member_s_press_on_a_keyboard_answering_themselves_is_theirs() =>
        Assert.False(BotDispatcher.IsSomeoneElses(Press(Alice, ChatType.Group, From(Alice))));

    [Fact]
    public void A_keyboard_answering_an_anonymous_admin_is_anyone_s_since_its_sender_is_a_stand_in() =>
        Assert.False(BotDispatcher.IsSomeoneElses(Press(Alice, ChatType.Supergroup, From(Anonymous, new Chat { Id = -100_1, Type = ChatType.Supergroup }))));

    [Fact]
    public void A_group_menu_s_buttons_name_its_member_whatever_the_message_replies_to()
    {
        var data = new GroupMenuButton(Alice.Id, "main", 3, "billing").Pack();
        var boris = Press(Boris, ChatType.Supergroup, null);
        boris.Data = data;
        var alice = Press(Alice, ChatType.Supergroup, From(Boris)); // even replying to someone else's message
        alice.Data = data;

        Assert.True(BotDispatcher.IsSomeoneElses(boris));
        Assert.False(BotDispatcher.IsSomeoneElses(alice));
    }

    [Fact]
    public void A_group_menu_button_fits_Telegram_s_64_bytes_with_the_longest_ids_and_names()
    {
        var packed = new GroupMenuButton(long.MaxValue, "language", long.MaxValue, "subscription").Pack();

        Assert.True(System.Text.Encoding.UTF8.GetByteCount(packed) <= CallbackData.MaxBytes, packed);
        Assert.Equal(new MenuButton("language", long.MaxValue, "subscription"), CallbackData.Unpack<GroupMenuButton>(packed)!.Button);
        Assert.Null(CallbackData.Unpack<MenuButton>(packed)); // a private chat's reading does not take it for its own
    }

    static readonly Chat Group = new() { Id = -100_1, Type = ChatType.Supergroup };

    static BotContext Context(Update update) => new(update, Group.Id, null!, null!, CancellationToken.None);

    [Fact]
    public void A_menu_drawn_for_a_message_is_its_sender_s_unless_sent_on_behalf_of_a_chat()
    {
        var members = Context(new Update { Message = new Message { Id = 1, From = Alice, Chat = Group, Text = "/start" } });
        var anonymous = Context(new Update { Message = new Message { Id = 2, From = Anonymous, SenderChat = Group, Chat = Group, Text = "/start" } });
        var inPrivate = new BotContext(new Update { Message = new Message { Id = 3, From = Alice, Chat = new Chat { Id = Alice.Id, Type = ChatType.Private }, Text = "/start" } },
            Alice.Id, null!, null!, CancellationToken.None);

        Assert.Equal([Alice.Id, null, null], [BotMenus.MenuOwner(members), BotMenus.MenuOwner(anonymous), BotMenus.MenuOwner(inPrivate)]);
    }

    [Fact]
    public void A_menu_redrawn_for_a_press_is_its_member_s_never_the_presser_s_as_such()
    {
        // A named menu, pressed by its member (the dispatcher has found it theirs).
        var named = Context(new Update { CallbackQuery = Press(Alice, ChatType.Supergroup, null) });
        named.PressedMenuOwner = Alice.Id;
        // An older menu, answering a member's command, pressed by that member; and one answering an anonymous admin's,
        // pressed by Boris (anyone may): it stays anyone's, and no one's id goes into its buttons.
        var older = Context(new Update { CallbackQuery = Press(Alice, ChatType.Supergroup, From(Alice)) });
        var admins = Context(new Update { CallbackQuery = Press(Boris, ChatType.Supergroup, From(Anonymous, Group)) });
        var nobodys = Context(new Update { CallbackQuery = Press(Boris, ChatType.Supergroup, null) });

        Assert.Equal([Alice.Id, Alice.Id, null, null], [BotMenus.MenuOwner(named), BotMenus.MenuOwner(older), BotMenus.MenuOwner(admins), BotMenus.MenuOwner(nobodys)]);
    }

    [Fact]
    public void A_keyboard_answering_nothing_or_in_a_private_chat_is_anyone_s() =>
        Assert.Equal([false, false], [BotDispatcher.IsSomeoneElses(Press(Boris, ChatType.Supergroup, null)), BotDispatcher.IsSomeoneElses(Press(Boris, ChatType.Private, From(Alice)))]);
}
