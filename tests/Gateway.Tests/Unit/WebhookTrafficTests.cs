using Mesh.Gateway.Operator;
using Mesh.Gateway.Webhook;

namespace Mesh.Gateway.Tests.Unit;

/// <summary>What the gateway remembers of the webhook for the operator, and says of it while the bot is down.</summary>
public sealed class WebhookTrafficTests
{
    static readonly DateTimeOffset Started = DateTimeOffset.Parse("2026-12-08T09:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void Refusals_count_from_the_first_since_the_bot_last_took_a_batch_with_their_update_ids_and_the_last_update_s_time_is_kept()
    {
        var clock = new ManualClock(Started);
        var traffic = new WebhookTraffic(clock);
        clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(new WebhookTrafficView(null, 0, null, null, Started), traffic.Read());

        traffic.Received();
        traffic.Refused(2, 100, 101);
        var firstRefusal = clock.GetUtcNow();
        clock.Advance(TimeSpan.FromMinutes(3));
        traffic.Received();
        traffic.Refused(5, 100, 103); // Telegram delivering 100 and 101 again, with 102 and 103
        var lastUpdate = clock.GetUtcNow();
        clock.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(new WebhookTrafficView(lastUpdate, 7, firstRefusal, (100, 103), Started), traffic.Read());

        traffic.Received();
        traffic.Taken();
        Assert.Equal(new WebhookTrafficView(clock.GetUtcNow(), 0, null, null, Started), traffic.Read());
        traffic.Refused(1, 200, 200);
        Assert.Equal((1, clock.GetUtcNow(), (200L, 200L)), (traffic.Read().Refused, traffic.Read().RefusedSince, traffic.Read().RefusedUpdateIds));
    }

    [Fact]
    public void Refusals_of_two_sender_loops_at_once_are_all_counted_in_one_run()
    {
        var traffic = new WebhookTraffic(TimeProvider.System);
        Parallel.For(0, 10_000, i =>
        {
            if (i % 2 == 0)
            {
                traffic.Refused(1, i, i);
            }
            else
            {
                traffic.Taken();
            }
        });
        traffic.Refused(1, 5, 5);

        var seen = traffic.Read();
        // Whatever came between, a run counted is whole: a count always has its start and its update ids.
        Assert.True(seen.Refused > 0);
        Assert.NotNull(seen.RefusedSince);
        Assert.NotNull(seen.RefusedUpdateIds);
        Assert.InRange(seen.RefusedUpdateIds!.Value.Highest - seen.RefusedUpdateIds.Value.Lowest, 0, 10_000);
    }

    [Fact]
    public void The_operator_reads_when_the_last_update_came_in_and_how_many_deliveries_of_which_updates_were_refused_since_when()
    {
        var at = DateTimeOffset.Parse("2026-12-08T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        const string Instance = " (This gateway's figures, since it started at 2026-12-08 09:00:00Z.)";

        Assert.Equal("No update has come in through the webhook since the gateway started.",
            TelegramStatusEndpoint.Describe(new WebhookTrafficView(null, 0, null, null, Started)));
        Assert.Equal("The last update came in through the webhook at 2026-12-08 10:05:00Z; the gateway has refused none since the bot service last took one." + Instance,
            TelegramStatusEndpoint.Describe(new WebhookTrafficView(at.AddMinutes(5), 0, null, null, Started)));
        Assert.Equal("The last update came in through the webhook at 2026-12-08 10:05:00Z. Since 2026-12-08 10:00:00Z the gateway has answered 503 to "
            + "1 webhook delivery of update 7 (at most 1 update waiting: Telegram delivers a refused update again, and keeps undelivered updates for 24 hours)." + Instance,
            TelegramStatusEndpoint.Describe(new WebhookTrafficView(at.AddMinutes(5), 1, at, (7, 7), Started)));
        Assert.Equal("The last update came in through the webhook at 2026-12-08 10:05:00Z. Since 2026-12-08 10:00:00Z the gateway has answered 503 to "
            + "40 webhook deliveries of updates 100 to 111 (at most 12 updates waiting: Telegram delivers a refused update again, and keeps undelivered updates for 24 hours)." + Instance,
            TelegramStatusEndpoint.Describe(new WebhookTrafficView(at.AddMinutes(5), 40, at, (100, 111), Started)));
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
