using Tandem.Lab.Network;
using Xunit;

namespace Tandem.IntegrationTests.Infrastructure;

/// <summary>
/// The seed's two networks, rebuilt between two network namespaces of the lab: each namespace gets an
/// <c>eth0</c> (192.168.0.0/24, the LAN) and an <c>eth1</c> (10.0.0.0/24, the crossover cable), the
/// two ends of a veth pair each. The seed's addresses then exist only here, so its configuration
/// runs unchanged without a packet leaving the machine.
/// </summary>
internal sealed class SeedNetwork : IDisposable
{
    private SeedNetwork(NetworkNamespace node1, NetworkNamespace node2)
    {
        Node1 = node1;
        Node2 = node2;
    }

    /// <summary>The namespace of ovz-node1 (192.168.0.1, 10.0.0.1).</summary>
    public NetworkNamespace Node1 { get; }

    /// <summary>The namespace of ovz-node2 (192.168.0.2, 10.0.0.2).</summary>
    public NetworkNamespace Node2 { get; }

    /// <summary>Creates both namespaces and the two links, or skips the test when namespaces cannot be made here.</summary>
    public static SeedNetwork CreateOrSkip()
    {
        if (NetworkNamespace.UnavailableReason() is { } why)
        {
            Assert.Skip($"{why}: run the tests as root to start the seed's nodes in isolation");
        }
        var n1 = NetworkNamespace.Create("tandem-it");
        NetworkNamespace? n2 = null;
        try
        {
            n2 = NetworkNamespace.Create("tandem-it");
            VethLink.Create(n1, n2, "eth0", "192.168.0");
            VethLink.Create(n1, n2, "eth1", "10.0.0");
            return new SeedNetwork(n1, n2);
        }
        catch
        {
            n2?.Dispose();
            n1.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        // Deleting a namespace deletes the veth ends inside it, and with them their peers.
        Node2.Dispose();
        Node1.Dispose();
    }
}
