using System.Diagnostics;
using Mesh.Testing;
using Mesh.TelegramSandbox.Client;

namespace Mesh.Bot.Tests.Conversations;

/// <summary>
/// A busy group (every member asks for help at once) against a sandbox that limits a group as Telegram does, lowered to
/// 30 messages a minute with 3 at once so that a test sees it in seconds. The bot with its own group limit set to match
/// (the same rate, a burst one smaller: Telegram's moments are when a message arrives, the bot's when it leaves, and the
/// one message of slack keeps a slow first request from making the next look early) paces its replies and is never
/// refused; with it off, it is refused with 429 and still answers everyone, after retry_after. Each test its own sandbox
/// and bot; only the group limits are on.
/// </summary>
public sealed class GroupRateLimitTests(RedisServerFixture redis)
{
    const int Members = 6;

    static readonly Dictionary<string, string?> GroupLimitOfTelegram = new()
    {
        ["Sandbox:Limits:PerGroupPerMinute"] = "30",
        ["Sandbox:Limits:PerGroupBurst"] = "3",
    };

    static CancellationToken Ct => TestContext.Current.CancellationToken;

    Task<SandboxBotHost> StartAsync(double perGroupPerMinute, int perGroupBurst) =>
        SandboxBotHost.StartAsync(redis.ConnectionString, RedisServerFixture.NewKeyPrefix("grouplimit"), new Dictionary<string, string?>
        {
            ["Telegram:PerGroupPerMinute"] = perGroupPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Telegram:PerGroupBurst"] = perGroupBurst.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }, sandboxSettings: GroupLimitOfTelegram);

    [Fact]
    public async Task Bot_paces_its_replies_in_a_busy_group_under_its_group_limit_and_answers_every_member_with_no_429()
    {
        await using var host = await StartAsync(perGroupPerMinute: 30, perGroupBurst: 2);
        var elapsed = Stopwatch.StartNew();

        var (group, commands) = await EveryMemberAsksForHelpAsync(host);
        var replies = await RepliesAsync(host, group);
        elapsed.Stop();

        Assert.Equal(commands, replies.Select(r => r.ReplyToMessageId)); // each member answered, in the order they asked
        Assert.All(replies, r => Assert.Contains("/language", r.Text, StringComparison.Ordinal));
        // 2 at once, the other 4 two seconds apart: 8 s at the least, however fast the machine (less a timer's early firing).
        Assert.True(elapsed.Elapsed >= TimeSpan.FromSeconds(7.5), $"{Members} replies went in {elapsed.Elapsed.TotalSeconds:0.0} s: not paced");
        var calls = await host.Client.GetCallsAsync(host.Token, Ct);
        Assert.Equal((0L, (long)Members), (calls.RateLimited, calls.Of("sendMessage")));
    }

    [Fact]
    public async Task Bot_without_a_group_limit_is_refused_with_429_in_a_busy_group_and_still_answers_every_member()
    {
        await using var host = await StartAsync(perGroupPerMinute: 0, perGroupBurst: 2);

        var (group, commands) = await EveryMemberAsksForHelpAsync(host);
        var replies = await RepliesAsync(host, group);

        Assert.Equal(commands, replies.Select(r => r.ReplyToMessageId));
        var calls = await host.Client.GetCallsAsync(host.Token, Ct);
        // Six replies sent as fast as they are handled meet a bucket of 3 that gains one every 2 s: refused at least once,
        // each refused send sent again after retry_after, and none given up on.
        Assert.True(calls.RateLimited >= 1, "the sandbox refused none of the bot's replies: the test shows nothing");
        Assert.Equal(Members + calls.RateLimited, calls.Of("sendMessage"));
    }

    /// <summary>A new group of <see cref="Members"/> members, each of whom sends /help in turn; the ids of their commands.</summary>
    static async Task<(long Group, List<int?> Commands)> EveryMemberAsksForHelpAsync(SandboxBotHost host)
    {
        var members = Enumerable.Range(1, Members).Select(i => SandboxBotHost.NewUser($"Member{i}")).ToArray();
        var group = await host.NewGroupAsync(members);
        var commands = new List<int?>();
        foreach (var member in members)
        {
            commands.Add(await host.SendAsync(group, member, "/help"));
        }
        return (group, commands);
    }

    /// <summary>The bot's messages in the group once there are <see cref="Members"/> of them.</summary>
    static Task<List<SandboxChatMessage>> RepliesAsync(SandboxBotHost host, long group) =>
        host.Client.WaitForAsync(host.Token, group,
            state => state.Messages.Where(m => m.FromBot).ToList() is { Count: >= Members } replies ? replies : null, SandboxBotHost.Deadline, Ct);
}
