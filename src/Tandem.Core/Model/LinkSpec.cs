namespace Tandem.Core.Model;

/// <summary>A heartbeat medium. Each kind is a subtype; a node keeps a state per link and peer.</summary>
/// <param name="Name">A short name for status and events (for example <c>ucast-eth0</c>).</param>
public abstract record LinkSpec(string Name);

/// <summary>UDP unicast to a list of addresses (Heartbeat's <c>ucast DEV IP</c>, one line per address).</summary>
/// <param name="Name">The link name.</param>
/// <param name="Interface">The network interface, or null for any.</param>
/// <param name="Port">The UDP port used where an endpoint names none.</param>
/// <param name="Endpoints">
/// The addresses heartbeats are sent to. A node sends to every endpoint that is not its own and
/// receives on its own (the endpoint naming it, or the port on any local address).
/// </param>
public sealed record UnicastLinkSpec(string Name, string? Interface, int Port, IReadOnlyList<LinkEndpoint> Endpoints)
    : LinkSpec(Name);

/// <summary>UDP broadcast on an interface (Heartbeat's <c>bcast DEV</c>).</summary>
/// <param name="Name">The link name.</param>
/// <param name="Interface">The interface whose broadcast address is used.</param>
/// <param name="Port">The UDP port.</param>
public sealed record BroadcastLinkSpec(string Name, string Interface, int Port) : LinkSpec(Name);

/// <summary>UDP multicast (Heartbeat's <c>mcast DEV GROUP PORT TTL LOOP</c>).</summary>
/// <param name="Name">The link name.</param>
/// <param name="Interface">The interface to join the group on.</param>
/// <param name="Group">The multicast group address.</param>
/// <param name="Port">The UDP port.</param>
/// <param name="Ttl">The multicast TTL, 1 to 255.</param>
/// <param name="Loop">Whether packets loop back to the sender.</param>
public sealed record MulticastLinkSpec(string Name, string Interface, string Group, int Port, int Ttl, bool Loop)
    : LinkSpec(Name);

/// <summary>A serial line (Heartbeat's <c>serial DEV</c> with the <c>baud</c> in force).</summary>
/// <param name="Name">The link name.</param>
/// <param name="Device">The tty path used by nodes that have no entry in <see cref="DeviceByNode"/>.</param>
/// <param name="Baud">The line speed.</param>
public sealed record SerialLinkSpec(string Name, string Device, int Baud) : LinkSpec(Name)
{
    /// <summary>Per-node tty paths (a pty pair in tests gives each node its own end).</summary>
    public IReadOnlyDictionary<string, string> DeviceByNode { get; init; } = new Dictionary<string, string>();
}

/// <summary>An address heartbeats are sent to.</summary>
/// <param name="Address">An IPv4 or IPv6 address.</param>
/// <param name="Port">The UDP port, or null for the link's port.</param>
/// <param name="Node">The node that owns this address, when the configuration says.</param>
public sealed record LinkEndpoint(string Address, int? Port = null, string? Node = null);
