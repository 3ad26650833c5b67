using System.Globalization;

namespace Tandem.Config.Classic;

/// <summary>
/// The argument of Heartbeat's R1 <c>IPaddr</c>/<c>IPaddr2</c> (and of a bare address in
/// haresources): <c>ip[/cidr[/iface[/broadcast]]]</c>. A numeric third field is the broadcast
/// address, as the R1 wrapper takes it.
/// </summary>
internal static class IpAddrSpec
{
    /// <summary>Parses the argument into OCF-style parameters (<c>ip</c>, <c>cidr_netmask</c>, <c>nic</c>, <c>broadcast</c>).</summary>
    /// <param name="text">The argument.</param>
    /// <param name="parameters">The parameters on success.</param>
    /// <param name="error">What is wrong, on failure.</param>
    /// <returns>True when the argument is valid.</returns>
    public static bool TryParse(string text, out Dictionary<string, string> parameters, out string? error)
    {
        parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        var parts = text.Split('/');
        if (parts.Length > 4)
        {
            error = $"'{HbNames.Quote(text)}' has {parts.Length} fields; expected ip[/cidr[/iface[/broadcast]]]";
            return false;
        }
        if (!HbNames.TryParseIPv4(parts[0], out var ip))
        {
            error = $"'{HbNames.Quote(parts[0])}' is not an IPv4 address (expected four numbers 0-255, as in 192.168.0.10)";
            return false;
        }
        parameters["ip"] = ip.ToString();
        if (parts.Length > 1)
        {
            if (!TryParseNetmask(parts[1], out var cidr))
            {
                error = $"'{HbNames.Quote(parts[1])}' is not a netmask: expected a prefix length from 1 to 32 (as in /24) or a dotted mask (255.255.255.0)";
                return false;
            }
            parameters["cidr_netmask"] = cidr.ToString(CultureInfo.InvariantCulture);
        }
        var next = 2;
        if (parts.Length > 2 && !HbNames.TryParseIPv4(parts[2], out _))
        {
            if (!HbNames.IsInterfaceName(parts[2]))
            {
                error = $"'{HbNames.Quote(parts[2])}' is not a network interface name (expected for example eth0)";
                return false;
            }
            parameters["nic"] = parts[2];
            next = 3;
        }
        if (parts.Length > next)
        {
            if (!HbNames.TryParseIPv4(parts[next], out var broadcast))
            {
                error = $"'{HbNames.Quote(parts[next])}' is not a broadcast address (expected an IPv4 address)";
                return false;
            }
            parameters["broadcast"] = broadcast.ToString();
            if (next + 1 < parts.Length)
            {
                error = $"'{HbNames.Quote(text)}' has a field after the broadcast address; expected ip[/cidr[/iface[/broadcast]]]";
                return false;
            }
        }
        error = null;
        return true;
    }

    private static bool TryParseNetmask(string text, out int prefix)
    {
        if (HbNames.TryParseInt(text, 1, 32, out prefix))
        {
            return true;
        }
        if (!HbNames.TryParseIPv4(text, out var mask))
        {
            return false;
        }
        var bits = (uint)mask.GetAddressBytes().Aggregate(0L, (acc, b) => (acc << 8) | b);
        prefix = System.Numerics.BitOperations.PopCount(bits);
        // A mask is contiguous ones then zeros: its complement plus one is a power of two.
        var inverted = ~bits;
        return prefix > 0 && (inverted & (inverted + 1)) == 0;
    }
}
