using Mesh.Gateway.Operator;
using Microsoft.Extensions.Options;

namespace Mesh.Gateway.Tests.Operator;

public sealed class OperatorRateLimiterTests
{
    readonly ManualClock clock = new(new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero));
    readonly OperatorRateLimiter limiter;

    public OperatorRateLimiterTests() =>
        limiter = new OperatorRateLimiter(Options.Create(new OperatorOptions { OperatorRateLimit = 2, OperatorRateWindow = TimeSpan.FromMinutes(1) }), clock);

    [Fact]
    public void A_client_past_its_limit_waits_for_the_end_of_its_window_then_gets_a_fresh_one()
    {
        Assert.Null(limiter.TryAcquire("10.0.0.1"));
        clock.Advance(TimeSpan.FromSeconds(20));
        Assert.Null(limiter.TryAcquire("10.0.0.1"));
        Assert.Equal(TimeSpan.FromSeconds(40), limiter.TryAcquire("10.0.0.1"));

        clock.Advance(TimeSpan.FromSeconds(39));
        Assert.Equal(TimeSpan.FromSeconds(1), limiter.TryAcquire("10.0.0.1"));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(limiter.TryAcquire("10.0.0.1"));
        Assert.Null(limiter.TryAcquire("10.0.0.1"));
        Assert.NotNull(limiter.TryAcquire("10.0.0.1"));
    }

    [Fact]
    public void Clients_are_counted_apart()
    {
        Assert.Null(limiter.TryAcquire("10.0.0.1"));
        Assert.Null(limiter.TryAcquire("10.0.0.1"));
        Assert.NotNull(limiter.TryAcquire("10.0.0.1"));
        Assert.Null(limiter.TryAcquire("10.0.0.2"));
    }

    [Fact]
    public void Sweeping_ended_windows_of_many_clients_keeps_the_live_ones_limited()
    {
        Assert.Null(limiter.TryAcquire("10.0.0.1"));
        Assert.Null(limiter.TryAcquire("10.0.0.1"));
        for (var i = 0; i < 2000; i++)
        {
            Assert.Null(limiter.TryAcquire($"192.168.{i / 256}.{i % 256}"));
        }
        clock.Advance(TimeSpan.FromSeconds(30));
        // Over the sweep threshold: nothing has ended yet, so nothing is forgotten.
        Assert.NotNull(limiter.TryAcquire("10.0.0.1"));
        Assert.Null(limiter.TryAcquire("192.168.0.0"));
        Assert.NotNull(limiter.TryAcquire("192.168.0.0"));
        Assert.Equal(2001, limiter.ClientCount);

        clock.Advance(TimeSpan.FromSeconds(31));
        // Every window ended: the next request sweeps them all, and its client starts afresh.
        Assert.Null(limiter.TryAcquire("10.0.0.1"));
        Assert.Equal(1, limiter.ClientCount);
    }

    [Fact]
    public void Ended_windows_are_swept_at_most_every_quarter_window_however_many_requests_come()
    {
        for (var i = 0; i < 2000; i++)
        {
            limiter.TryAcquire($"192.168.{i / 256}.{i % 256}");
        }
        clock.Advance(TimeSpan.FromSeconds(5));
        for (var i = 0; i < 2000; i++)
        {
            limiter.TryAcquire($"172.16.{i / 256}.{i % 256}");
        }
        clock.Advance(TimeSpan.FromSeconds(56));
        // t = 61 s: the first 2,000 windows have ended and are swept; the second 2,000 have 4 s to go.
        limiter.TryAcquire("10.0.0.1");
        Assert.Equal(2001, limiter.ClientCount);

        clock.Advance(TimeSpan.FromSeconds(5));
        // t = 66 s: the second 2,000 have ended too, but the last sweep was 5 s ago: each request only counts.
        for (var i = 0; i < 100; i++)
        {
            limiter.TryAcquire($"10.1.0.{i}");
        }
        Assert.Equal(2101, limiter.ClientCount);

        clock.Advance(TimeSpan.FromSeconds(10));
        // t = 76 s: a quarter of the window since the last sweep: the next request sweeps what has ended.
        limiter.TryAcquire("10.0.0.2");
        Assert.Equal(102, limiter.ClientCount);
    }

    [Theory]
    [InlineData("10.0.0.1", "10.0.0.1")]
    [InlineData("::ffff:10.0.0.1", "10.0.0.1")]
    [InlineData("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:3::1", "2001:db8:1:3::/64")]
    public void An_ipv6_client_counts_by_its_64_and_an_ipv4_one_by_its_address(string address, string client) =>
        Assert.Equal(client, OperatorRateLimiter.ClientOf(System.Net.IPAddress.Parse(address)));

    [Fact]
    public void Addresses_of_one_ipv6_64_share_a_limit()
    {
        Assert.Null(limiter.TryAcquire(OperatorRateLimiter.ClientOf(System.Net.IPAddress.Parse("2001:db8::1"))));
        Assert.Null(limiter.TryAcquire(OperatorRateLimiter.ClientOf(System.Net.IPAddress.Parse("2001:db8::2"))));
        Assert.NotNull(limiter.TryAcquire(OperatorRateLimiter.ClientOf(System.Net.IPAddress.Parse("2001:db8::ffff:3"))));
    }

    sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        DateTimeOffset now = now;

        public void Advance(TimeSpan by) => now += by;

        public override DateTimeOffset GetUtcNow() => now;
    }
}
