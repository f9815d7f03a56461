using System.Text.Json.Nodes;
using Aspire.Hosting;

namespace Mesh.AppHost.Tests.Unit;

/// <summary>What the bot's dashboard commands say, from the bot's answers.</summary>
public sealed class BotCommandsTests
{
    [Theory]
    [InlineData(0, "0 dead letters")]
    [InlineData(1, "1 dead letter")]
    [InlineData(20, "20 dead letters")]
    public void Dead_letters_are_counted_in_words_that_agree(long count, string expected) =>
        Assert.Equal(expected, BotCommands.DeadLettersListed(new JsonObject { ["count"] = count, ["newest"] = new JsonArray() }));

    [Fact]
    public void One_requeued_dead_letter_and_one_reset_dialog_are_singular()
    {
        Assert.Equal("Requeued 1 dead letter, 0 left (not readable, or no chat recorded)",
            BotCommands.DeadLettersRequeued(new JsonObject { ["count"] = 1, ["left"] = 0 }));
        Assert.Equal("Requeued 2 dead letters, 1 left (not readable, or no chat recorded)",
            BotCommands.DeadLettersRequeued(new JsonObject { ["count"] = 2, ["left"] = 1 }));
        Assert.Equal("Reset 1 dialog, told 1 user", BotCommands.ConversationsCleared(new JsonObject { ["dialogs_reset"] = 1, ["users_told"] = 1 }));
        Assert.Equal("Reset 19 dialogs, told 18 users", BotCommands.ConversationsCleared(new JsonObject { ["dialogs_reset"] = 19, ["users_told"] = 18 }));
    }
}
