using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Tandem.Config.Classic.Drbd;

/// <summary>Parsers for drbd.conf values: numbers, sizes with K/M/G suffixes, addresses.</summary>
public static class DrbdValues
{
    /// <summary>
    /// Parses a size: decimal digits with an optional suffix <c>K</c>, <c>M</c> or <c>G</c> (either
    /// case, powers of 1024). Without a suffix the number counts <paramref name="defaultUnit"/> bytes,
    /// which is how drbd.conf(5) gives each option its own unit (resync-rate: KiB/s).
    /// </summary>
    /// <param name="text">The value.</param>
    /// <param name="defaultUnit">Bytes per unit when there is no suffix.</param>
    /// <param name="bytes">The size in bytes.</param>
    /// <returns>False when it is not a size or does not fit in 63 bits.</returns>
    public static bool TryParseSize(string text, long defaultUnit, out long bytes)
    {
        ArgumentNullException.ThrowIfNull(text);
        bytes = 0;
        if (text.Length == 0 || defaultUnit <= 0)
        {
            return false;
        }
        var digits = text.Length;
        var unit = defaultUnit;
        switch (text[^1])
        {
            case 'k' or 'K':
                unit = 1L << 10;
                digits--;
                break;
            case 'm' or 'M':
                unit = 1L << 20;
                digits--;
                break;
            case 'g' or 'G':
                unit = 1L << 30;
                digits--;
                break;
        }
        if (!TryParseDigits(text.AsSpan(0, digits), out var value))
        {
            return false;
        }
        if (value > long.MaxValue / unit)
        {
            return false;
        }
        bytes = value * unit;
        return true;
    }

    /// <summary>Parses a non-negative decimal integer (digits only, no sign, no suffix).</summary>
    /// <param name="text">The value.</param>
    /// <param name="value">The number.</param>
    /// <returns>False when it is not digits or does not fit in 63 bits.</returns>
    public static bool TryParseNumber(string text, out long value)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParseDigits(text, out value);
    }

    private static bool TryParseDigits(ReadOnlySpan<char> digits, out long value)
    {
        value = 0;
        if (digits.IsEmpty)
        {
            return false;
        }
        foreach (var c in digits)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
            var d = c - '0';
            if (value > (long.MaxValue - d) / 10)
            {
                return false;
            }
            value = (value * 10) + d;
        }
        return true;
    }

    /// <summary>
    /// Parses an address as drbd.conf writes it: <c>IPv4:PORT</c> or <c>[IPv6]:PORT</c>, the family
    /// (<c>ipv4</c>, <c>ipv6</c>, <c>ssocks</c>, <c>sdp</c>) given separately.
    /// </summary>
    /// <param name="family">The family word, or null.</param>
    /// <param name="text">The address and port.</param>
    /// <param name="normalized">The address as <c>IP:PORT</c> or <c>[IPv6]:PORT</c>.</param>
    /// <param name="error">What is wrong, when it does not parse.</param>
    /// <param name="portOutOfRange">True when only the port is wrong (outside 1..65535).</param>
    /// <returns>True when it parses.</returns>
    public static bool TryParseAddress(string? family, string text, out string normalized, out string error, out bool portOutOfRange)
    {
        ArgumentNullException.ThrowIfNull(text);
        normalized = "";
        error = "";
        portOutOfRange = false;
        string host;
        string port;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= text.Length || text[close + 1] != ':')
            {
                error = $"'{text}' is not '[IPv6]:PORT'";
                return false;
            }
            host = text[1..close];
            port = text[(close + 2)..];
        }
        else
        {
            var colon = text.LastIndexOf(':');
            if (colon < 0)
            {
                error = $"'{text}' has no ':PORT'";
                return false;
            }
            host = text[..colon];
            port = text[(colon + 1)..];
            if (host.Contains(':', StringComparison.Ordinal))
            {
                error = $"'{text}' looks like an IPv6 address without brackets";
                return false;
            }
        }
        if (!IPAddress.TryParse(host, out var ip) || (ip.AddressFamily == AddressFamily.InterNetwork && host.Split('.').Length != 4))
        {
            error = $"'{host}' is not an IP address (drbd.conf needs a numeric address, not a host name)";
            return false;
        }
        var wantV6 = family == "ipv6";
        if (wantV6 != (ip.AddressFamily == AddressFamily.InterNetworkV6))
        {
            error = wantV6
                ? $"'{host}' is not an IPv6 address, but the family is ipv6"
                : $"'{host}' is an IPv6 address; write 'ipv6 [{host}]:{port}'";
            return false;
        }
        if (ip.AddressFamily == AddressFamily.InterNetworkV6 && !text.StartsWith('['))
        {
            error = $"write the IPv6 address in brackets: '[{host}]:{port}'";
            return false;
        }
        if (!TryParseDigits(port, out var p) || p is < 1 or > 65535)
        {
            error = $"port '{port}' is not a number in 1..65535";
            portOutOfRange = port.Length > 0 && port.All(char.IsAsciiDigit);
            return false;
        }
        var shown = ip.AddressFamily == AddressFamily.InterNetworkV6 ? "[" + ip + "]" : ip.ToString();
        normalized = shown + ":" + p.ToString(CultureInfo.InvariantCulture);
        return true;
    }
}
