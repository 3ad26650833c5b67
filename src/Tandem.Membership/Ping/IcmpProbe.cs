using System.Net;
using System.Net.NetworkInformation;

namespace Tandem.Membership.Ping;

/// <summary>
/// ICMP echo through <see cref="System.Net.NetworkInformation.Ping"/> (raw sockets as root; .NET
/// falls back to unprivileged ICMP sockets or the ping utility otherwise).
/// </summary>
public sealed class IcmpProbe : IConnectivityProbe
{
    /// <inheritdoc/>
    public async Task<bool> ProbeAsync(IPAddress address, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var ping = new System.Net.NetworkInformation.Ping();
        try
        {
            var reply = await ping.SendPingAsync(address, timeout, cancellationToken: cancellationToken).ConfigureAwait(false);
            return reply.Status == IPStatus.Success;
        }
        catch (PingException)
        {
            return false;
        }
    }
}
