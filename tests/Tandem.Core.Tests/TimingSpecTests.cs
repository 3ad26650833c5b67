using Tandem.Core.Model;
using Xunit;

namespace Tandem.Core.Tests;

public class TimingSpecTests
{
    [Theory]
    [InlineData(30_000, 30_000)] // above 10 s: equal to deadtime
    [InlineData(5_000, 12_000)]  // below 6 s: 12 s
    [InlineData(8_000, 16_000)]  // otherwise twice the deadtime
    [InlineData(10_000, 20_000)]
    [InlineData(6_000, 12_000)]
    public void Initdead_default_follows_heartbeat(int deadMs, int expectedMs) =>
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), TimingSpec.DefaultInitdead(TimeSpan.FromMilliseconds(deadMs)));

    [Fact]
    public void Warntime_default_is_half_the_deadtime() =>
        Assert.Equal(TimeSpan.FromSeconds(15), TimingSpec.DefaultWarntime(TimeSpan.FromSeconds(30)));
}
