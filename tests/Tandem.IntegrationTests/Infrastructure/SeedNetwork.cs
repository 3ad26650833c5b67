using System.Diagnostics;

namespace Tandem.IntegrationTests.Infrastructure;

/// <summary>
/// The seed's two networks, rebuilt between two network namespaces: each namespace gets an
/// <c>eth0</c> (192.168.0.0/24, the LAN) and an <c>eth1</c> (10.0.0.0/24, the crossover cable), and
/// the two namespaces' interfaces are the ends of veth pairs. The seed's addresses then exist only
/// here, so its configuration runs unchanged without a packet leaving the machine.
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

    /// <summary>Creates both namespaces and the two links, or skips the test when that is impossible here.</summary>
    /// <returns>The network.</returns>
    public static SeedNetwork CreateOrSkip()
    {
        var n1 = NetworkNamespace.CreateOrSkip();
        NetworkNamespace? n2 = null;
        try
        {
            n2 = NetworkNamespace.CreateOrSkip();
            var tag = n1.Name[^4..];
            foreach (var (dev, subnet) in new[] { ("eth0", "192.168.0"), ("eth1", "10.0.0") })
            {
                var a = $"tda{tag}{dev[^1]}";
                var b = $"tdb{tag}{dev[^1]}";
                Ip("link", "add", a, "type", "veth", "peer", "name", b);
                Ip("link", "set", a, "netns", n1.Name);
                Ip("link", "set", b, "netns", n2.Name);
                Ip("-n", n1.Name, "link", "set", a, "name", dev);
                Ip("-n", n2.Name, "link", "set", b, "name", dev);
                Ip("-n", n1.Name, "addr", "add", $"{subnet}.1/24", "dev", dev);
                Ip("-n", n2.Name, "addr", "add", $"{subnet}.2/24", "dev", dev);
                Ip("-n", n1.Name, "link", "set", dev, "up");
                Ip("-n", n2.Name, "link", "set", dev, "up");
            }
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

    private static void Ip(params string[] args)
    {
        var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"`ip {string.Join(' ', args)}` failed ({process.ExitCode}): {output}");
        }
    }
}
