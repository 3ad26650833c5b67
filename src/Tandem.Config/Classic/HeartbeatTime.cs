using System.Globalization;

namespace Tandem.Config.Classic;

/// <summary>
/// Heartbeat's time values (cluster-glue <c>cl_get_msec</c>): a number, decimals allowed, then an
/// optional unit, in any case. No unit means seconds; <c>ms</c>/<c>msec</c> milliseconds; <c>us</c>/<c>usec</c>
/// microseconds. Any other suffix, including <c>s</c>, is an error. The value is rounded to the
/// nearest millisecond.
/// </summary>
public static class HeartbeatTime
{
    /// <summary>The largest value accepted: 30 days; anything longer is surely a typo.</summary>
    public static readonly TimeSpan Max = TimeSpan.FromDays(30);

    /// <summary>Parses a time value.</summary>
    /// <param name="text">The value as written, for example <c>2</c>, <c>1.5</c>, <c>2000ms</c>.</param>
    /// <param name="value">The value, rounded to the nearest millisecond.</param>
    /// <param name="error">Why the text is not a time value, with a suggestion; null on success.</param>
    /// <returns>True when <paramref name="text"/> is a time value.</returns>
    public static bool TryParse(string text, out TimeSpan value, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        value = TimeSpan.Zero;
        var i = 0;
        while (i < text.Length && char.IsAsciiDigit(text[i]))
        {
            i++;
        }
        var integerDigits = i;
        var fractionDigits = 0;
        if (i < text.Length && text[i] == '.')
        {
            i++;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
                fractionDigits++;
            }
        }
        var number = text[..i];
        var unit = text[i..];
        if (integerDigits + fractionDigits == 0)
        {
            error = text.Length == 0
                ? "a time value is missing"
                : text.StartsWith('-')
                    ? $"'{Shorten(text)}' is negative; a time value is a positive number of seconds"
                    : $"'{Shorten(text)}' is not a time value: expected a number of seconds, or a number followed by ms or us (for example 2, 1.5 or 2000ms)";
            return false;
        }
        long scale; // microseconds per unit
        // cl_get_msec compares its units without case: 500MS and 2Msec are milliseconds.
        switch (unit.ToLowerInvariant())
        {
            case "":
                scale = 1_000_000;
                break;
            case "ms" or "msec":
                scale = 1_000;
                break;
            case "us" or "usec":
                scale = 1;
                break;
            case "s" or "sec" or "secs":
                error = $"'{Shorten(text)}': Heartbeat does not accept the unit '{unit}'; a bare number is already seconds (write {number}, or {Suggest(number)}ms)";
                return false;
            default:
                error = $"'{Shorten(text)}' has an unknown unit '{Shorten(unit)}': expected no unit (seconds), ms/msec or us/usec";
                return false;
        }
        // Digits beyond what fits are irrelevant below the 30-day cap or above microseconds; trimming
        // them keeps decimal.Parse from overflowing on a fuzzer's thousand-digit numbers.
        var intPart = number[..integerDigits].TrimStart('0');
        if (intPart.Length > 15)
        {
            error = $"'{Shorten(text)}' is too large; the largest time value is {Max.TotalDays} days";
            return false;
        }
        var fraction = fractionDigits == 0 ? "" : number[(integerDigits + 1)..];
        if (fraction.Length > 12)
        {
            fraction = fraction[..12];
        }
        var parsed = decimal.Parse((intPart.Length == 0 ? "0" : intPart) + (fraction.Length == 0 ? "" : "." + fraction),
            NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
        var micros = parsed * scale;
        var ms = decimal.Round(micros / 1000m, 0, MidpointRounding.AwayFromZero);
        if (ms > (decimal)Max.TotalMilliseconds)
        {
            error = $"'{Shorten(text)}' is too large; the largest time value is {Max.TotalDays} days";
            return false;
        }
        value = TimeSpan.FromMilliseconds((long)ms);
        error = null;
        return true;
    }

    /// <summary>Formats a time span the way ha.cf would say it: seconds when whole, else milliseconds.</summary>
    /// <param name="value">The value.</param>
    /// <returns>For example <c>2</c> or <c>1500ms</c>.</returns>
    public static string Format(TimeSpan value) =>
        value.Ticks % TimeSpan.TicksPerSecond == 0
            ? ((long)value.TotalSeconds).ToString(CultureInfo.InvariantCulture)
            : ((long)value.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms";

    private static string Suggest(string number) =>
        decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var d) && d < 1_000_000_000m
            ? (d * 1000m).ToString("0.###", CultureInfo.InvariantCulture)
            : number + "000";

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "...";
}
