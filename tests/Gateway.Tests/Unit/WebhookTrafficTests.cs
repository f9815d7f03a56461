using Mesh.Gateway.Operator;
using Mesh.Gateway.Webhook;

namespace Mesh.Gateway.Tests.Unit;

/// <summary>What the gateway remembers of the webhook for the operator, and says of it while the bot is down.</summary>
public sealed class WebhookTrafficTests
{
    [Fact]
    public void Refusals_count_from_the_first_since_the_bot_last_took_a_batch_and_the_last_update_s_time_is_kept()
    {
        var clock = new ManualClock(DateTimeOffset.Parse("2026-12-08T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var traffic = new WebhookTraffic(clock);
        Assert.Equal(new WebhookTrafficView(null, 0, null), traffic.Read());

        traffic.Received();
        traffic.Refused(2);
        var firstRefusal = clock.GetUtcNow();
        clock.Advance(TimeSpan.FromMinutes(3));
        traffic.Received();
        traffic.Refused(5);
        var lastUpdate = clock.GetUtcNow();
        clock.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(new WebhookTrafficView(lastUpdate, 7, firstRefusal), traffic.Read());

        traffic.Received();
        traffic.Taken();
        Assert.Equal(new WebhookTrafficView(clock.GetUtcNow(), 0, null), traffic.Read());
    }

    [Fact]
    public void The_operator_reads_when_the_last_update_came_in_and_how_many_were_refused_since_when()
    {
        var at = DateTimeOffset.Parse("2026-12-08T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal("No update has come in through the webhook since the gateway started.",
            TelegramStatusEndpoint.Describe(new WebhookTrafficView(null, 0, null)));
        Assert.Equal("The last update came in through the webhook at 2026-12-08 10:05:00Z; the gateway has refused none since the bot service last took one.",
            TelegramStatusEndpoint.Describe(new WebhookTrafficView(at.AddMinutes(5), 0, null)));
        Assert.Equal("The last update came in through the webhook at 2026-12-08 10:05:00Z. Since 2026-12-08 10:00:00Z the gateway has answered 503 to "
            + "1 update, which Telegram delivers again (it keeps undelivered updates for 24 hours).",
            TelegramStatusEndpoint.Describe(new WebhookTrafficView(at.AddMinutes(5), 1, at)));
    }

    sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        DateTimeOffset now = now;

        public void Advance(TimeSpan by) => now += by;

        public override DateTimeOffset GetUtcNow() => now;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => now.UtcTicks;
    }
}
