namespace Tandem.Lab.Network;

/// <summary>
/// A cable between two network namespaces: a veth pair whose ends are named <paramref name="Device"/>
/// in both, with one address each of a /24. Removing either namespace removes the cable.
/// </summary>
/// <param name="Device">The interface name inside both namespaces, such as <c>eth0</c>.</param>
/// <param name="AddressA">The address of the first end.</param>
/// <param name="AddressB">The address of the second end.</param>
public sealed record VethLink(string Device, string AddressA, string AddressB)
{
    /// <summary>Lays the cable: <paramref name="device"/> in both namespaces, <c>SUBNET.1/24</c> in <paramref name="a"/> and <c>SUBNET.2/24</c> in <paramref name="b"/>, both up.</summary>
    /// <param name="a">The first namespace.</param>
    /// <param name="b">The second namespace.</param>
    /// <param name="device">The interface name in both, at most 15 bytes.</param>
    /// <param name="subnet">The first three octets, such as <c>192.168.0</c>.</param>
    /// <returns>The link.</returns>
    /// <exception cref="LabException">An <c>ip</c> command failed.</exception>
    public static VethLink Create(NetworkNamespace a, NetworkNamespace b, string device, string subnet)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        // The pair is made in this namespace under short unique names (15 bytes at most), then each
        // end moves into its namespace and takes the device name there.
        var tag = Guid.NewGuid().ToString("N")[..8];
        var endA = "tla" + tag;
        var endB = "tlb" + tag;
        IpCommand.RunOk("link", "add", endA, "type", "veth", "peer", "name", endB);
        IpCommand.RunOk("link", "set", endA, "netns", a.Name);
        IpCommand.RunOk("link", "set", endB, "netns", b.Name);
        var link = new VethLink(device, subnet + ".1", subnet + ".2");
        foreach (var (ns, end, address) in new[] { (a, endA, link.AddressA), (b, endB, link.AddressB) })
        {
            ns.Ip("link", "set", end, "name", device);
            ns.Ip("addr", "add", address + "/24", "dev", device);
            ns.Ip("link", "set", device, "up");
        }
        return link;
    }
}
