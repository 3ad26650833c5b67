using System.Globalization;

namespace Tandem.Config.Native;

/// <summary>
/// The unit syntax of the native file: durations (<c>"100ms"</c>, <c>"1.5s"</c>, <c>"2s"</c>,
/// <c>"1m"</c>, <c>"500us"</c>) and byte rates (<c>"30M"</c>, DRBD's binary units).
/// </summary>
public static class NativeUnits
{
    /// <summary>The longest duration accepted, far above any sensible timeout, so arithmetic never overflows.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(365);

    private static readonly (string Unit, long Ticks)[] s_durationUnits =
    [
        ("h", TimeSpan.TicksPerHour),
        ("m", TimeSpan.TicksPerMinute),
        ("s", TimeSpan.TicksPerSecond),
        ("ms", TimeSpan.TicksPerMillisecond),
        ("us", TimeSpan.TicksPerMicrosecond),
        ("µs", TimeSpan.TicksPerMicrosecond),
    ];

    private static readonly (string Unit, long Bytes)[] s_rateUnits =
    [
        ("G", 1L << 30), ("GiB", 1L << 30),
        ("M", 1L << 20), ("MiB", 1L << 20),
        ("K", 1L << 10), ("KiB", 1L << 10),
        ("B", 1),
    ];

    /// <summary>Parses a duration: a decimal number followed by <c>h</c>, <c>m</c>, <c>s</c>, <c>ms</c> or <c>us</c>.</summary>
    /// <param name="text">The text, for example <c>1.5s</c>.</param>
    /// <param name="value">The duration, exact to the tick (100 ns).</param>
    /// <returns>True when the text is a duration.</returns>
    public static bool TryParseDuration(string text, out TimeSpan value)
    {
        value = default;
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim();
        if (t == "0")
        {
            return true; // zero needs no unit
        }
        var split = 0;
        while (split < t.Length && (char.IsAsciiDigit(t[split]) || t[split] == '.'))
        {
            split++;
        }
        if (split == 0 || split > 30)
        {
            return false;
        }
        var unit = t[split..].Trim();
        var ticksPerUnit = 0L;
        foreach (var (u, ticks) in s_durationUnits)
        {
            if (u == unit)
            {
                ticksPerUnit = ticks;
            }
        }
        if (ticksPerUnit == 0
            || !decimal.TryParse(t[..split], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }
        var total = number * ticksPerUnit;
        if (total > MaxDuration.Ticks || total != decimal.Truncate(total))
        {
            return false; // beyond the cap, or finer than a tick (100 ns)
        }
        value = TimeSpan.FromTicks((long)total);
        return true;
    }

    /// <summary>Formats a duration in the largest unit that keeps it a whole number (<c>"2s"</c>, <c>"1500ms"</c>).</summary>
    /// <param name="value">A duration of zero or more.</param>
    /// <returns>The text; reading it back gives the same duration.</returns>
    public static string FormatDuration(TimeSpan value)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
        var ticks = value.Ticks;
        if (ticks == 0)
        {
            return "0s";
        }
        foreach (var (unit, per) in s_durationUnits)
        {
            if (unit != "µs" && ticks % per == 0)
            {
                return (ticks / per).ToString(CultureInfo.InvariantCulture) + unit;
            }
        }
        // Below a microsecond: tenths of a microsecond are exact (one tick each).
        return (ticks / 10).ToString(CultureInfo.InvariantCulture) + "." + (ticks % 10).ToString(CultureInfo.InvariantCulture) + "us";
    }

    /// <summary>Parses a byte rate: a decimal number followed by <c>K</c>, <c>M</c>, <c>G</c> (1024-based, as drbd.conf) or <c>B</c>, with an optional <c>/s</c>.</summary>
    /// <param name="text">The text, for example <c>30M</c>.</param>
    /// <param name="bytesPerSecond">The rate in bytes per second.</param>
    /// <returns>True when the text is a rate.</returns>
    public static bool TryParseRate(string text, out long bytesPerSecond)
    {
        bytesPerSecond = 0;
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim();
        if (t.EndsWith("/s", StringComparison.Ordinal))
        {
            t = t[..^2];
        }
        var split = 0;
        while (split < t.Length && (char.IsAsciiDigit(t[split]) || t[split] == '.'))
        {
            split++;
        }
        if (split == 0 || split > 30)
        {
            return false;
        }
        var unit = t[split..].Trim();
        var per = 0L;
        foreach (var (u, bytes) in s_rateUnits)
        {
            if (string.Equals(u, unit, StringComparison.OrdinalIgnoreCase))
            {
                per = bytes;
            }
        }
        if (per == 0
            || !decimal.TryParse(t[..split], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }
        var total = decimal.Round(number * per);
        if (total > 1L << 50)
        {
            return false;
        }
        bytesPerSecond = (long)total;
        return true;
    }

    /// <summary>Formats a byte rate in the largest binary unit that keeps it whole (<c>"30M"</c>).</summary>
    /// <param name="bytesPerSecond">The rate.</param>
    /// <returns>The text; reading it back gives the same rate.</returns>
    public static string FormatRate(long bytesPerSecond)
    {
        if (bytesPerSecond == 0)
        {
            return "0K";
        }
        foreach (var (unit, per) in s_rateUnits)
        {
            if (unit.Length == 1 && bytesPerSecond % per == 0)
            {
                return (bytesPerSecond / per).ToString(CultureInfo.InvariantCulture) + unit;
            }
        }
        return bytesPerSecond.ToString(CultureInfo.InvariantCulture) + "B";
    }
}
