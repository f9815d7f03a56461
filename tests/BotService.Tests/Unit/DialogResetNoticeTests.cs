using Mesh.Bot.Conversations;
using Mesh.Bot.Features.Profile;
using Mesh.Bot.Texts;

namespace Mesh.Bot.Tests.Unit;

/// <summary>What a user is told when an operator reset their dialog.</summary>
public sealed class DialogResetNoticeTests
{
    [Fact]
    public void The_profile_s_notice_names_its_command_in_the_user_s_language_and_another_dialog_s_sends_to_start()
    {
        Assert.Equal("Support reset your unfinished profile setup. Send /profile to start again.",
            BotTexts.English.DialogResetNotice(ProfileFlow.City, 7, 7, null));
        Assert.Contains("/profile", BotTexts.For(BotLanguage.Ru).DialogResetNotice(ProfileFlow.Confirm, 7, 7, null));
        Assert.StartsWith("Підтримка", BotTexts.For(BotLanguage.Uk).DialogResetNotice(ProfileFlow.Name, 7, 7, null));
        Assert.Equal("Support reset the dialog you had not finished. Send /start to begin again.",
            BotTexts.English.DialogResetNotice(new Step("support.subject"), 7, 7, null));
    }

    [Fact]
    public void In_a_group_the_notice_mentions_the_user_by_their_name_escaped()
    {
        Assert.Equal("<a href=\"tg://user?id=42\">Ada &lt;3</a>: Support reset your unfinished profile setup. Send /profile to start again.",
            BotTexts.English.DialogResetNotice(ProfileFlow.About, -100_5, 42, "Ada <3"));
    }

    [Fact]
    public void In_a_group_a_user_whose_name_was_not_recorded_is_mentioned_all_the_same()
    {
        Assert.Equal("<a href=\"tg://user?id=42\">Участник</a>: " + BotTexts.For(BotLanguage.Ru).ProfileReset,
            BotTexts.For(BotLanguage.Ru).DialogResetNotice(ProfileFlow.Name, -100_5, 42, null));
    }
}
