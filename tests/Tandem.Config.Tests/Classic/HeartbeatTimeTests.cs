using System.Globalization;
using System.Text.RegularExpressions;
using CsCheck;
using Tandem.Config.Classic;
using Xunit;

namespace Tandem.Config.Tests.Classic;

public sealed partial class HeartbeatTimeTests
{
    [Theory]
    [InlineData("2", 2000)]
    [InlineData("1.7", 1700)]
    [InlineData("2000ms", 2000)]
    [InlineData("1700msec", 1700)]
    [InlineData("1500us", 2)]
    [InlineData("1499usec", 1)]
    [InlineData("0.0005", 1)]
    [InlineData(".5", 500)]
    [InlineData("5.", 5000)]
    [InlineData("0", 0)]
    [InlineData("007", 7000)]
    [InlineData("500MS", 500)]
    [InlineData("2Msec", 2)]
    [InlineData("1500US", 2)]
    public void Parses_heartbeat_time_values(string text, long ms)
    {
        Assert.True(HeartbeatTime.TryParse(text, out var value, out var error), error);
        Assert.Equal(TimeSpan.FromMilliseconds(ms), value);
    }

    [Theory]
    [InlineData("2s", "write 2, or 2000ms")]
    [InlineData("1.5s", "write 1.5, or 1500ms")]
    [InlineData("30sec", "write 30, or 30000ms")]
    [InlineData("", "missing")]
    [InlineData("-1", "negative")]
    [InlineData("2 ms", "unknown unit")]
    [InlineData("2m", "unknown unit")]
    [InlineData("1e3", "unknown unit")]
    [InlineData("abc", "not a time value")]
    [InlineData(".", "not a time value")]
    [InlineData("99999999999999999999999", "too large")]
    [InlineData("2592000.001", "too large")]
    public void Rejects_what_heartbeat_rejects_and_says_why(string text, string expected)
    {
        Assert.False(HeartbeatTime.TryParse(text, out _, out var error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Whole_milliseconds_read_back_in_every_unit()
    {
        Gen.Long[0, 2_592_000_000].Sample(ms =>
        {
            var forms = new[]
            {
                $"{ms}ms",
                $"{ms}msec",
                $"{ms / 1000}.{ms % 1000:000}",
                $"{ms * 1000}us",
                $"{ms * 1000}usec",
            };
            foreach (var form in forms)
            {
                Assert.True(HeartbeatTime.TryParse(form, out var value, out var error), $"{form}: {error}");
                Assert.Equal(TimeSpan.FromMilliseconds(ms), value);
            }
            Assert.True(HeartbeatTime.TryParse(HeartbeatTime.Format(TimeSpan.FromMilliseconds(ms)), out var back, out _));
            Assert.Equal(TimeSpan.FromMilliseconds(ms), back);
        });
    }

    [Fact]
    public void Agrees_with_a_regex_and_decimal_model_on_arbitrary_strings()
    {
        var gen = Gen.Char["0123456789.msuec -"].Array[0, 12].Select(a => new string(a));
        gen.Sample(text =>
        {
            var ok = HeartbeatTime.TryParse(text, out var value, out var error);
            var expected = Model(text);
            Assert.True(expected.HasValue == ok, $"'{text}': model {expected}, parser {(ok ? value : error)}");
            if (ok)
            {
                Assert.Equal(expected!.Value, value);
            }
        }, iter: 20_000);
    }

    private static TimeSpan? Model(string text)
    {
        var m = TimeRegex().Match(text);
        if (!m.Success || !m.Groups["n"].Value.Any(char.IsAsciiDigit))
        {
            return null;
        }
        var n = decimal.Parse("0" + m.Groups["n"].Value + (m.Groups["n"].Value.EndsWith('.') ? "0" : ""), CultureInfo.InvariantCulture);
        var ms = m.Groups["u"].Value switch
        {
            "" => n * 1000m,
            "ms" or "msec" => n,
            _ => n / 1000m,
        };
        ms = Math.Round(ms, 0, MidpointRounding.AwayFromZero);
        return ms > 30m * 86_400_000m ? null : TimeSpan.FromMilliseconds((double)ms);
    }

    [GeneratedRegex(@"^(?<n>[0-9]*\.?[0-9]*)(?<u>|ms|msec|us|usec)$")]
    private static partial Regex TimeRegex();
}
