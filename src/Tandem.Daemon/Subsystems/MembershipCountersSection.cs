using Tandem.Core.Status;
using Tandem.Daemon.Status;

namespace Tandem.Daemon.Subsystems;

/// <summary>
/// The <c>membership</c> section of <c>tandem status</c>: this node's generation, timing, stalls,
/// accepted and rejected packets by reason, and connectivity.
/// </summary>
/// <param name="membership">The membership subsystem whose snapshot is drawn.</param>
public sealed class MembershipCountersSection(MembershipSubsystem membership) : IStatusSection
{
    /// <inheritdoc/>
    public string Name => "membership";

    /// <inheritdoc/>
    public object GetSnapshot() =>
        membership.GetMembershipSnapshot() is { } s
            ? new MembershipCounters(s.Status, s.Generation, s.TimingMs, s.Stalls, s.Accepted, s.Rejected, s.ReceiveErrors, s.Connectivity, s.Channel)
            : new MembershipCounters("disabled", null, null, null, null, null, null, null, null);
}
