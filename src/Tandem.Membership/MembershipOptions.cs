using Tandem.Core.Model;
using Tandem.Membership.Detection;
using Tandem.Membership.Links;
using Tandem.Membership.Ping;

namespace Tandem.Membership;

/// <summary>Options of <see cref="MembershipService"/> beyond the cluster spec.</summary>
public sealed record MembershipOptions
{
    /// <summary>
    /// Opens a link from its spec, or null to use the real media (UDP, serial). Tests pass
    /// <see cref="InMemoryNetwork.Attach"/> here.
    /// </summary>
    public Func<LinkSpec, IHeartbeatLink>? LinkFactory { get; init; }

    /// <summary>Failure detector tuning.</summary>
    public DetectorOptions Detector { get; init; } = new();

    /// <summary>How long an unacknowledged cluster-channel message waits before it is sent again; null uses the keepalive, at most 200 ms.</summary>
    public TimeSpan? RetransmitInterval { get; init; }

    /// <summary>How ping nodes are probed; null uses ICMP echo (<see cref="IcmpProbe"/>).</summary>
    public IConnectivityProbe? PingProbe { get; init; }
}
