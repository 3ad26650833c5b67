using Tandem.Core.Status;
using Tandem.Daemon.Status;

namespace Tandem.Daemon.Failover;

/// <summary>The <c>failover</c> section of <c>tandem status</c>: the peer as the resource manager sees it, auto_failback, and a takeover that waits for fencing.</summary>
/// <param name="resources">The resource subsystem.</param>
public sealed class FailoverStatusSection(ResourceSubsystem resources) : IStatusSection
{
    /// <inheritdoc/>
    public string Name => "failover";

    /// <inheritdoc/>
    public object GetSnapshot() => resources.GetFailoverSnapshot();
}
