using Tandem.Core.Status;
using Tandem.Daemon.Status;

namespace Tandem.Daemon.Subsystems;

/// <summary>
/// The <c>links</c> section of <c>tandem status</c>: each configured heartbeat medium, whether it
/// opened, and its state towards every peer (the information of <c>cl_status linkstatus</c>).
/// </summary>
/// <param name="membership">The membership subsystem whose snapshot is drawn.</param>
public sealed class LinkStatusSection(MembershipSubsystem membership) : IStatusSection
{
    /// <inheritdoc/>
    public string Name => "links";

    /// <inheritdoc/>
    public object GetSnapshot() => GetLinks();

    /// <summary>Every configured medium and its state towards every peer.</summary>
    /// <returns>The links.</returns>
    public HeartbeatLinkStatus[] GetLinks()
    {
        if (membership.GetMembershipSnapshot() is not { } snapshot)
        {
            return [];
        }
        return [.. snapshot.Links.Select(link => link.Open
            ? new HeartbeatLinkStatus(link.Link, true, null,
                snapshot.Nodes.ToDictionary(n => n.Node, n => n.Links.FirstOrDefault(l => l.Link == link.Link)?.Status ?? "unknown", StringComparer.Ordinal),
                link.SendErrors)
            : new HeartbeatLinkStatus(link.Link, false, link.Error, new Dictionary<string, string>(), null))];
    }
}
