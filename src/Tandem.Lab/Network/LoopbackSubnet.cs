using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Tandem.Lab.Network;

/// <summary>
/// Addresses of a random 127.X.Y.0/24 of this lab alone (Linux routes all of 127.0.0.0/8 to lo),
/// with TCP and UDP ports that were free on every one of them when picked. A lab on its own subnet
/// cannot collide with another lab or test that runs at the same time, whatever ports they use.
/// </summary>
public sealed class LoopbackSubnet
{
    private LoopbackSubnet(IReadOnlyList<string> addresses, IReadOnlyList<int> tcp, IReadOnlyList<int> udp)
    {
        Addresses = addresses;
        TcpPorts = tcp;
        UdpPorts = udp;
    }

    /// <summary>The addresses, <c>127.X.Y.1</c> upwards.</summary>
    public IReadOnlyList<string> Addresses { get; }

    /// <summary>TCP ports free on every address.</summary>
    public IReadOnlyList<int> TcpPorts { get; }

    /// <summary>UDP ports free on every address.</summary>
    public IReadOnlyList<int> UdpPorts { get; }

    /// <summary>Picks a subnet and ports free on all of its <paramref name="addresses"/> addresses.</summary>
    /// <param name="addresses">How many addresses (1 to 254).</param>
    /// <param name="tcpPorts">How many TCP ports.</param>
    /// <param name="udpPorts">How many UDP ports.</param>
    /// <returns>The subnet.</returns>
    /// <exception cref="LabException">No free subnet and ports were found.</exception>
    public static LoopbackSubnet Pick(int addresses, int tcpPorts = 0, int udpPorts = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(addresses, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(addresses, 254);
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var net = string.Create(CultureInfo.InvariantCulture, $"127.{Random.Shared.Next(100, 250)}.{Random.Shared.Next(1, 250)}");
            var all = Enumerable.Range(1, addresses).Select(i => IPAddress.Parse(string.Create(CultureInfo.InvariantCulture, $"{net}.{i}"))).ToArray();
            var held = new List<Socket>();
            try
            {
                // Held until every port is chosen, so that the kernel cannot hand out one port twice.
                var tcp = Enumerable.Range(0, tcpPorts).Select(_ => Hold(held, all, SocketType.Stream, ProtocolType.Tcp)).ToArray();
                var udp = Enumerable.Range(0, udpPorts).Select(_ => Hold(held, all, SocketType.Dgram, ProtocolType.Udp)).ToArray();
                return new LoopbackSubnet([.. all.Select(a => a.ToString())], tcp, udp);
            }
            catch (SocketException)
            {
                // Taken (or bound on the wildcard address by someone): another subnet, other ports.
            }
            finally
            {
                foreach (var socket in held)
                {
                    socket.Dispose();
                }
            }
        }
        throw new LabException("found no free loopback subnet 127.X.Y.0/24 with the ports asked for");
    }

    /// <summary>Binds a port free on the first address, then the same port on the others.</summary>
    private static int Hold(List<Socket> held, IPAddress[] addresses, SocketType type, ProtocolType protocol)
    {
        var port = 0;
        foreach (var address in addresses)
        {
            var socket = new Socket(AddressFamily.InterNetwork, type, protocol);
            held.Add(socket);
            socket.Bind(new IPEndPoint(address, port));
            port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        }
        return port;
    }
}
