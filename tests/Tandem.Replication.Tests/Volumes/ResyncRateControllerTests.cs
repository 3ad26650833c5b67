using Xunit;

namespace Tandem.Replication.Tests.Volumes;

public sealed class ResyncRateControllerTests
{
    [Fact]
    public void Fixed_rate_requests_a_tenth_of_the_rate_every_step()
    {
        var c = new ResyncRateController(10 << 20, TimeSpan.Zero, 0, TimeSpan.FromSeconds(1), 100 << 20);
        Assert.False(c.Dynamic);
        Assert.Equal((10 << 20) / 10, c.NextStep(0, 0));
        Assert.Equal((10 << 20) / 10, c.NextStep(12345, 999999));
    }

    [Fact]
    public void Dynamic_rate_steers_bytes_in_flight_towards_the_fill_target_and_respects_the_maximum()
    {
        const long fill = 4 << 20;
        const long max = 100L << 20;
        var c = new ResyncRateController(1 << 20, TimeSpan.FromSeconds(2), fill, TimeSpan.FromSeconds(1), max);
        // A link that acknowledges half of what is in flight every step.
        long inFlight = 0;
        long seen = 0;
        for (var step = 0; step < 400; step++)
        {
            var cameBack = inFlight / 2;
            inFlight -= cameBack;
            seen = inFlight; // what the controller steers: in flight when it plans the step
            var request = c.NextStep(cameBack, inFlight);
            Assert.InRange(request, 0, max / 10);
            inFlight += request;
        }
        Assert.InRange(seen, fill * 8 / 10, fill * 12 / 10);
    }

    [Fact]
    public void Dynamic_rate_backs_off_when_nothing_comes_back()
    {
        var c = new ResyncRateController(1 << 20, TimeSpan.FromSeconds(2), 1 << 20, TimeSpan.FromSeconds(1), 100L << 20);
        long inFlight = 0;
        long total = 0;
        for (var step = 0; step < 200; step++)
        {
            var r = c.NextStep(0, inFlight);
            inFlight += r;
            total += r;
        }
        // A stalled peer: requests stop once the planned amount (≈ the fill target) is in flight.
        Assert.InRange(total, 0, 3L << 20);
    }
}
