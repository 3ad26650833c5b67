using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Tandem.Core.Model;
using Tandem.Membership.Wire;

namespace Tandem.Membership.Links;

/// <summary>
/// A UDP heartbeat link: unicast to a list of peers (<c>ucast</c>), broadcast on an interface
/// (<c>bcast</c>) or multicast to a group (<c>mcast</c>). One socket sends and receives.
/// </summary>
public sealed partial class UdpLink : IHeartbeatLink
{
    private const int SolSocket = 1;
    private const int SoBindToDevice = 25;

    private readonly Socket _socket;
    private readonly IPEndPoint[] _destinations;
    private readonly ILogger _logger;
    private readonly EndPoint _anyRemote;
    private long _sendErrors;
    private long _lastSendErrorLog = long.MinValue;

    private UdpLink(string name, Socket socket, IPEndPoint[] destinations, ILogger logger)
    {
        Name = name;
        _socket = socket;
        _destinations = destinations;
        _logger = logger;
        _anyRemote = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public long SendErrors => Interlocked.Read(ref _sendErrors);

    /// <summary>Where this link receives.</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    /// <summary>Where this link sends.</summary>
    public IReadOnlyList<IPEndPoint> Destinations => _destinations;

    /// <summary>
    /// Opens a unicast link. When endpoints name their nodes, this node receives on its own
    /// endpoint and sends to the others; when they do not (a classic <c>ucast</c> list), entries
    /// that are addresses of this host are ignored, as Heartbeat does, and this node receives on
    /// the first of them (or on any address at the link's port).
    /// </summary>
    /// <param name="spec">The link.</param>
    /// <param name="localNode">This node's name.</param>
    /// <param name="logger">The logger.</param>
    /// <returns>The open link.</returns>
    public static UdpLink OpenUnicast(UnicastLinkSpec spec, string localNode, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var named = spec.Endpoints.Any(e => e.Node is not null);
        var local = named ? [] : LocalAddresses();
        var own = new List<IPEndPoint>();
        var destinations = new List<IPEndPoint>();
        foreach (var e in spec.Endpoints)
        {
            var ep = new IPEndPoint(IPAddress.Parse(e.Address), e.Port ?? spec.Port);
            var mine = named ? string.Equals(e.Node, localNode, StringComparison.OrdinalIgnoreCase) : local.Contains(ep.Address);
            (mine ? own : destinations).Add(ep);
        }
        var family = (own.Count > 0 ? own[0] : destinations.FirstOrDefault())?.AddressFamily ?? AddressFamily.InterNetwork;
        var socket = new Socket(family, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (own.Count > 0)
            {
                socket.Bind(own[0]);
            }
            else
            {
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                BindToDevice(socket, spec.Interface);
                socket.Bind(new IPEndPoint(family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, spec.Port));
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new UdpLink(spec.Name, socket, [.. destinations], logger);
    }

    /// <summary>Opens a broadcast link on an interface: sends to its IPv4 broadcast address, receives on the port.</summary>
    /// <param name="spec">The link.</param>
    /// <param name="logger">The logger.</param>
    /// <returns>The open link.</returns>
    public static UdpLink OpenBroadcast(BroadcastLinkSpec spec, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var nic = FindInterface(spec.Interface);
        var unicast = nic.GetIPProperties().UnicastAddresses.FirstOrDefault(a => a.Address.AddressFamily == AddressFamily.InterNetwork)
            ?? throw new InvalidOperationException($"interface {spec.Interface} has no IPv4 address for bcast");
        var address = unicast.Address.GetAddressBytes();
        var mask = unicast.IPv4Mask.GetAddressBytes();
        var broadcast = new byte[4];
        for (var i = 0; i < 4; i++)
        {
            broadcast[i] = (byte)(address[i] | ~mask[i]);
        }
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.EnableBroadcast = true;
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            BindToDevice(socket, spec.Interface);
            socket.Bind(new IPEndPoint(IPAddress.Any, spec.Port));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new UdpLink(spec.Name, socket, [new IPEndPoint(new IPAddress(broadcast), spec.Port)], logger);
    }

    /// <summary>Opens a multicast link: joins the group on the interface and sends to it with the TTL and loop setting.</summary>
    /// <param name="spec">The link.</param>
    /// <param name="logger">The logger.</param>
    /// <returns>The open link.</returns>
    public static UdpLink OpenMulticast(MulticastLinkSpec spec, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var group = IPAddress.Parse(spec.Group);
        var nic = FindInterface(spec.Interface);
        var socket = new Socket(group.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            if (group.AddressFamily == AddressFamily.InterNetworkV6)
            {
                var index = nic.GetIPProperties().GetIPv6Properties().Index;
                socket.Bind(new IPEndPoint(IPAddress.IPv6Any, spec.Port));
                socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.AddMembership, new IPv6MulticastOption(group, index));
                socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastInterface, index);
                socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastTimeToLive, spec.Ttl);
                socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastLoopback, spec.Loop);
            }
            else
            {
                var index = nic.GetIPProperties().GetIPv4Properties().Index;
                // Bound to the group, the socket gets this group's datagrams only, not every datagram to the port.
                socket.Bind(new IPEndPoint(group, spec.Port));
                socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(group, index));
                socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, IPAddress.HostToNetworkOrder(index));
                socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, spec.Ttl);
                socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastLoopback, spec.Loop);
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new UdpLink(spec.Name, socket, [new IPEndPoint(group, spec.Port)], logger);
    }

    /// <inheritdoc/>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> packet, CancellationToken cancellationToken)
    {
        foreach (var destination in _destinations)
        {
            try
            {
                await _socket.SendToAsync(packet, SocketFlags.None, destination, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException ex)
            {
                // No route, interface down, EPERM from a firewall: the peer's silence is what counts.
                var n = Interlocked.Increment(ref _sendErrors);
                var now = Environment.TickCount64;
                if (now - Interlocked.Read(ref _lastSendErrorLog) > 10_000)
                {
                    Interlocked.Exchange(ref _lastSendErrorLog, now);
                    LogSendFailed(_logger, Name, destination.ToString(), ex.SocketErrorCode, n);
                }
            }
        }
    }

    /// <inheritdoc/>
    public async ValueTask<LinkReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                var r = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, _anyRemote, cancellationToken).ConfigureAwait(false);
                return new LinkReceiveResult(r.ReceivedBytes, r.RemoteEndPoint);
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionRefused
                or SocketError.MessageSize or SocketError.NetworkUnreachable or SocketError.HostUnreachable)
            {
                // An ICMP error for an earlier send, or a datagram larger than the buffer: not fatal.
            }
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    private static HashSet<IPAddress> LocalAddresses()
    {
        var set = new HashSet<IPAddress>();
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            foreach (var a in nic.GetIPProperties().UnicastAddresses)
            {
                set.Add(a.Address);
            }
        }
        return set;
    }

    private static NetworkInterface FindInterface(string name) =>
        NetworkInterface.GetAllNetworkInterfaces().FirstOrDefault(n => n.Name == name)
        ?? throw new InvalidOperationException($"no network interface named {name}");

    private static void BindToDevice(Socket socket, string? device)
    {
        if (string.IsNullOrEmpty(device) || !OperatingSystem.IsLinux())
        {
            return;
        }
        // SO_BINDTODEVICE keeps two links on the same port apart (one per interface); it needs CAP_NET_RAW.
        var bytes = Encoding.ASCII.GetBytes(device + "\0");
        socket.SetRawSocketOption(SolSocket, SoBindToDevice, bytes);
    }

    [LoggerMessage(EventId = 1200, EventName = "Tandem.Membership.SendFailed", Level = LogLevel.Warning,
        Message = "Link {Link}: sending to {Destination} failed ({Error}); {Count} send errors so far")]
    private static partial void LogSendFailed(ILogger logger, string link, string destination, SocketError error, long count);
}
