using Microsoft.Extensions.Logging;
using Tandem.Core.Model;

namespace Tandem.Membership.Links;

/// <summary>Opens the real medium for a link spec.</summary>
public static class LinkFactory
{
    /// <summary>Opens a link.</summary>
    /// <param name="spec">The link.</param>
    /// <param name="localNode">This node's name.</param>
    /// <param name="loggers">Where the link logs.</param>
    /// <returns>The open link.</returns>
    public static IHeartbeatLink Open(LinkSpec spec, string localNode, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(loggers);
        var logger = loggers.CreateLogger("Tandem.Membership.Links");
        return spec switch
        {
            UnicastLinkSpec u => UdpLink.OpenUnicast(u, localNode, logger),
            BroadcastLinkSpec b => UdpLink.OpenBroadcast(b, logger),
            MulticastLinkSpec m => UdpLink.OpenMulticast(m, logger),
            SerialLinkSpec s => SerialLink.Open(s, localNode, logger),
            _ => throw new NotSupportedException($"link {spec.Name}: unknown kind {spec.GetType().Name}"),
        };
    }
}
