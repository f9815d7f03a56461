using Mesh.Bot.Telegram;
using Telegram.Bot.Types.Enums;

namespace Mesh.Bot.Tests.Unit;

/// <summary>How texts are split and cut to Telegram's limit, which counts an HTML text after its markup is parsed.</summary>
public sealed class MessageTextTests
{
    [Theory]
    [InlineData(10, "<b>aaaa</b>\n<i>bbbb</i>", new[] { "<b>aaaa</b>\n<i>bbbb</i>" })] // 9 characters: no split
    [InlineData(10, "&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;", new[] { "&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;" })]
    [InlineData(10, "<b>aaaa\nbbbb\ncccc</b>", new[] { "<b>aaaa\nbbbb</b>", "<b>cccc</b>" })]
    [InlineData(10, "<a href=\"https://x.y/z\">aaaaa bbbbbbbbbbbb</a>", new[] { "<a href=\"https://x.y/z\">aaaaa</a>", "<a href=\"https://x.y/z\">bbbbbbbbbb</a>", "<a href=\"https://x.y/z\">bb</a>" })]
    [InlineData(5, "aa&amp;&lt;bbb", new[] { "aa&amp;&lt;b", "bb" })] // never inside an entity
    [InlineData(4, "a&#128512;&#128512;", new[] { "a&#128512;", "&#128512;" })] // an emoji is two units
    [InlineData(4, "<i>x</i>😀😀", new[] { "<i>x</i>😀", "😀" })] // never half an emoji
    public void Html_is_split_by_the_characters_telegram_counts_with_its_tags_closed_and_reopened(int max, string html, string[] parts) =>
        Assert.Equal(parts, MessageText.Split(html, ParseMode.Html, max));

    [Theory]
    [InlineData("<b>xxxxxxxxxx\n</b>", new[] { "<b>xxxxxxxxxx</b>" })] // not a second part "<b></b>"
    [InlineData("xxxxxxxxxx\n\n", new[] { "xxxxxxxxxx" })]
    public void Html_split_makes_no_part_telegram_would_find_empty(string html, string[] parts) =>
        Assert.Equal(parts, MessageText.Split(html, ParseMode.Html, 10));

    [Theory]
    [InlineData("xxxxxxxxxx\n\n", new[] { "xxxxxxxxxx" })]
    [InlineData("xxxxxxxxxx\n\n\n\n\n\n\n\n\n\n\n\nyy", new[] { "xxxxxxxxxx", "yy" })]
    public void Plain_split_makes_no_part_telegram_would_find_empty(string text, string[] parts) =>
        Assert.Equal(parts, MessageText.Split(text, ParseMode.None, 10));

    [Theory]
    [InlineData("<b>ab</b>&lt;c", ParseMode.Html, 4)]
    [InlineData("a&#128512;", ParseMode.Html, 3)] // an emoji is two units
    [InlineData("<b>ab</b>", ParseMode.None, 9)]
    [InlineData("plain", ParseMode.Html, 5)]
    public void Length_is_what_telegram_counts(string text, ParseMode parseMode, int length) =>
        Assert.Equal(length, MessageText.Length(text, parseMode));

    [Fact]
    public void Plain_text_is_split_by_its_own_characters() =>
        Assert.Equal(["<b>aa", "aa</b>"], MessageText.Split("<b>aa\naa</b>", ParseMode.None, 6));

    [Fact]
    public void Html_cut_for_an_edit_keeps_its_tags_closed()
    {
        var cut = MessageText.Truncate("<b>" + new string('x', 5000) + "</b>", ParseMode.Html);

        Assert.Equal("<b>" + new string('x', MessageText.MaxLength - 1) + "…</b>", cut);
        Assert.Equal("<b>short</b>", MessageText.Truncate("<b>short</b>", ParseMode.Html));
    }

    /// <summary>Texts of exactly 4,096 characters as Telegram counts them.</summary>
    public static TheoryData<string> TextsOfTheLimit =>
    [
        new string('x', MessageText.MaxLength),
        "<b>" + new string('x', MessageText.MaxLength) + "</b>",
        string.Join('\n', Enumerable.Repeat(new string('x', 63), 64)) + "x", // 64 lines of 63, 63 line breaks, 1
    ];

    [Theory]
    [MemberData(nameof(TextsOfTheLimit))]
    public void Html_of_exactly_the_limit_is_edited_in_whole(string text) =>
        Assert.Equal(text, MessageText.Truncate(text, ParseMode.Html));

    [Fact]
    public void Html_cut_for_an_edit_keeps_as_much_as_fits_not_only_its_first_line()
    {
        var text = "<b>Title</b>\n" + string.Join(' ', Enumerable.Repeat("word", 1000)); // 5 + 1 + 4,999 characters

        var cut = MessageText.Truncate(text, ParseMode.Html);

        Assert.Equal("<b>Title</b>\n".Length + MessageText.MaxLength - "Title\n".Length, cut.Length); // 4,095 and the "…"
        Assert.EndsWith("…", cut);
    }
}
