using System.Net;

namespace Tandem.Membership.Ping;

/// <summary>Checks whether an address answers (a ping node).</summary>
public interface IConnectivityProbe
{
    /// <summary>Probes an address once.</summary>
    /// <param name="address">The ping node's address.</param>
    /// <param name="timeout">How long to wait for an answer.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>True when it answered in time.</returns>
    Task<bool> ProbeAsync(IPAddress address, TimeSpan timeout, CancellationToken cancellationToken);
}
