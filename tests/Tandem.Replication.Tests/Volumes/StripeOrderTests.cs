using CsCheck;
using Tandem.Replication.Writes;
using Xunit;

namespace Tandem.Replication.Tests.Volumes;

public sealed class StripeOrderTests
{
    private const int Stripes = 64;

    [Fact]
    public void A_range_takes_exactly_its_stripes_in_ascending_order_wrapping_or_not() =>
        Gen.Select(Gen.Int[0, Stripes - 1], Gen.Int[1, Stripes]).Sample((first, count) =>
        {
            var order = Enumerable.Range(0, count).Select(i => StripeLocks.StripeAt(first, count, i)).ToArray();
            var expected = Enumerable.Range(0, count).Select(i => (first + i) % Stripes).Order();
            return order.SequenceEqual(expected);
        });

    [Fact]
    public void A_wrapping_range_starts_at_stripe_zero() =>
        Assert.Equal([0, 1, 62, 63], Enumerable.Range(0, 4).Select(i => StripeLocks.StripeAt(62, 4, i)));
}
