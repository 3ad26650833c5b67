using CsCheck;
using Tandem.Config.Native;
using Xunit;

namespace Tandem.Config.Tests.Native;

public class NativeUnitsTests
{
    [Theory]
    [InlineData("100ms", 100 * TimeSpan.TicksPerMillisecond)]
    [InlineData("1.5s", 15 * TimeSpan.TicksPerSecond / 10)]
    [InlineData("2s", 2 * TimeSpan.TicksPerSecond)]
    [InlineData("1m", TimeSpan.TicksPerMinute)]
    [InlineData("1h", TimeSpan.TicksPerHour)]
    [InlineData("500us", 500 * TimeSpan.TicksPerMicrosecond)]
    [InlineData("500µs", 500 * TimeSpan.TicksPerMicrosecond)]
    [InlineData("0.1us", 1)]
    [InlineData("0", 0)]
    [InlineData("0s", 0)]
    [InlineData(" 3s ", 3 * TimeSpan.TicksPerSecond)]
    public void Durations_parse(string text, long ticks)
    {
        Assert.True(NativeUnits.TryParseDuration(text, out var value));
        Assert.Equal(ticks, value.Ticks);
    }

    [Theory]
    [InlineData("")]
    [InlineData("2")]
    [InlineData("2S")]
    [InlineData("2 s s")]
    [InlineData("1.2.3s")]
    [InlineData("-5s")]
    [InlineData("+5s")]
    [InlineData("1e3s")]
    [InlineData("0.01us")]
    [InlineData("366d")]
    [InlineData("9000h")]
    [InlineData("99999999999999999999999999999999s")]
    public void Malformed_durations_are_refused(string text) => Assert.False(NativeUnits.TryParseDuration(text, out _));

    [Theory]
    [InlineData(2000, "2s")]
    [InlineData(1500, "1500ms")]
    [InlineData(120_000, "2m")]
    [InlineData(100, "100ms")]
    [InlineData(0, "0s")]
    public void Durations_format_in_the_largest_whole_unit(int ms, string text) =>
        Assert.Equal(text, NativeUnits.FormatDuration(TimeSpan.FromMilliseconds(ms)));

    [Fact]
    public void Every_duration_up_to_the_cap_round_trips() =>
        Gen.Long[0, NativeUnits.MaxDuration.Ticks].Sample(ticks =>
        {
            Assert.True(NativeUnits.TryParseDuration(NativeUnits.FormatDuration(TimeSpan.FromTicks(ticks)), out var back));
            Assert.Equal(ticks, back.Ticks);
        });

    [Theory]
    [InlineData("30M", 30L << 20)]
    [InlineData("250K", 250L << 10)]
    [InlineData("250k", 250L << 10)]
    [InlineData("1G", 1L << 30)]
    [InlineData("10MiB/s", 10L << 20)]
    [InlineData("512B", 512)]
    [InlineData("1.5M", 3L << 19)]
    public void Rates_parse(string text, long bytes)
    {
        Assert.True(NativeUnits.TryParseRate(text, out var value));
        Assert.Equal(bytes, value);
    }

    [Theory]
    [InlineData("30")]
    [InlineData("M")]
    [InlineData("30 parsecs")]
    [InlineData("99999999999G")]
    public void Malformed_rates_are_refused(string text) => Assert.False(NativeUnits.TryParseRate(text, out _));

    [Fact]
    public void Every_rate_round_trips() =>
        Gen.Long[0, 1L << 50].Sample(bytes =>
        {
            Assert.True(NativeUnits.TryParseRate(NativeUnits.FormatRate(bytes), out var back));
            Assert.Equal(bytes, back);
        });
}
