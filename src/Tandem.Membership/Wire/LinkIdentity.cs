using Tandem.Core.Model;

namespace Tandem.Membership.Wire;

/// <summary>
/// The identity of a heartbeat link that both of its ends compute alike, which the MAC of a
/// link-bound packet covers (issue #18 item 2: a peer's packets relayed from one link to another
/// made a cut link be reported up).
/// </summary>
/// <remarks>
/// The identity is the link's kind and its position among the links of that kind in the
/// configuration: the first serial link is <c>serial/0</c>, the second UDP unicast link
/// <c>ucast/1</c>. It is built from nothing that differs between the two nodes: not the link's
/// name (it is derived from the tty device or the interface, which differ between nodes: a serial
/// link is <c>/dev/ttyS0</c> on one and <c>/dev/ttyUSB0</c> on the other), not the addresses (a
/// classic ha.cf may list only the peer's address, <c>ucast eth1 10.0.0.2</c> on one node and
/// <c>ucast eth1 10.0.0.1</c> on the other), not the interface. Counting within a kind, not in the
/// whole list, keeps two configurations that list, say, the serial line before the network on one
/// node and after it on the other in agreement. What both nodes must agree on is the order of
/// the links of one kind, which a shared native configuration and a copied ha.cf always do; when
/// they do not, packets arrive signed for the other link of that kind, are counted as
/// <c>wrong-link</c>, and the log names the link they were signed for (docs/membership.md,
/// "Link binding").
/// </remarks>
public static class LinkIdentity
{
    /// <summary>The identities of a configuration's links, in the configuration's order.</summary>
    /// <param name="links">The links as the configuration lists them.</param>
    /// <returns>One identity per link, for example <c>ucast/0</c>, <c>serial/0</c>.</returns>
    public static IReadOnlyList<string> Of(IReadOnlyList<LinkSpec> links)
    {
        ArgumentNullException.ThrowIfNull(links);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var identities = new string[links.Count];
        for (var i = 0; i < links.Count; i++)
        {
            var kind = Kind(links[i]);
            counts.TryGetValue(kind, out var n);
            counts[kind] = n + 1;
            identities[i] = $"{kind}/{n}";
        }
        return identities;
    }

    /// <summary>The kind part of a link's identity.</summary>
    /// <param name="link">The link.</param>
    /// <returns><c>ucast</c>, <c>bcast</c>, <c>mcast</c>, <c>serial</c>, or the type's name for another kind.</returns>
    public static string Kind(LinkSpec link)
    {
        ArgumentNullException.ThrowIfNull(link);
        return link switch
        {
            UnicastLinkSpec => "ucast",
            BroadcastLinkSpec => "bcast",
            MulticastLinkSpec => "mcast",
            SerialLinkSpec => "serial",
            _ => link.GetType().Name,
        };
    }
}
