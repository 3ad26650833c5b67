using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Tandem.Config.Classic;

/// <summary>Checks of the small lexical items of the classic files: addresses, names, numbers.</summary>
internal static partial class HbNames
{
    /// <summary>Parses a dotted-quad IPv4 address, strictly (no <c>10.1</c>, no octal, no hex).</summary>
    public static bool TryParseIPv4(string text, out IPAddress address)
    {
        address = IPAddress.None;
        var parts = text.Split('.');
        if (parts.Length != 4)
        {
            return false;
        }
        var bytes = new byte[4];
        for (var i = 0; i < 4; i++)
        {
            var p = parts[i];
            if (p.Length is 0 or > 3 || !p.All(char.IsAsciiDigit) || (p.Length > 1 && p[0] == '0'))
            {
                return false;
            }
            var v = int.Parse(p, CultureInfo.InvariantCulture);
            if (v > 255)
            {
                return false;
            }
            bytes[i] = (byte)v;
        }
        address = new IPAddress(bytes);
        return true;
    }

    /// <summary>Parses an IPv6 address, optionally with a <c>%scope</c>.</summary>
    public static bool TryParseIPv6(string text, out IPAddress address)
    {
        address = IPAddress.IPv6None;
        if (!text.Contains(':', StringComparison.Ordinal) || text.Length > 128
            || !IPAddress.TryParse(text, out var parsed) || parsed.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }
        address = parsed;
        return true;
    }

    /// <summary>True for a network interface name as Linux allows it (1 to 15 characters, no slash or blank).</summary>
    public static bool IsInterfaceName(string text) => InterfaceName().IsMatch(text);

    /// <summary>True for a host or node name (letters, digits, <c>.</c>, <c>_</c>, <c>-</c>; at most 64 characters).</summary>
    public static bool IsHostName(string text) => HostName().IsMatch(text);

    /// <summary>Parses a decimal integer in a range, without signs or spaces.</summary>
    public static bool TryParseInt(string text, int min, int max, out int value)
    {
        value = 0;
        if (text.Length is 0 or > 9 || !text.All(char.IsAsciiDigit))
        {
            return false;
        }
        value = int.Parse(text, CultureInfo.InvariantCulture);
        return value >= min && value <= max;
    }

    /// <summary>Heartbeat's booleans: <c>true/on/yes/y/1</c> and <c>false/off/no/n/0</c>, any case.</summary>
    public static bool TryParseBool(string text, out bool value)
    {
        switch (text.ToLowerInvariant())
        {
            case "true" or "on" or "yes" or "y" or "1":
                value = true;
                return true;
            case "false" or "off" or "no" or "n" or "0":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }

    /// <summary>Shortens user text quoted in a message so that a huge token cannot flood it.</summary>
    public static string Quote(string text) => text.Length <= 60 ? text : text[..60] + "...";

    [GeneratedRegex("^[A-Za-z0-9_.:@-]{1,15}$")]
    private static partial Regex InterfaceName();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")]
    private static partial Regex HostName();
}
