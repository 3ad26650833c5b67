using Tandem.Membership;

namespace Tandem.Daemon.Status;

/// <summary>The <c>membership</c> status section: generation, timing, stalls, packets accepted and rejected, connectivity.</summary>
/// <param name="Status">This node's status, or disabled when membership does not run.</param>
/// <param name="Generation">This node's generation.</param>
/// <param name="TimingMs">The timing, in milliseconds.</param>
/// <param name="Stalls">Detector stalls.</param>
/// <param name="Accepted">Packets accepted.</param>
/// <param name="Rejected">Packets rejected, by reason.</param>
/// <param name="ReceiveErrors">Receive errors.</param>
/// <param name="Connectivity">Ping nodes and ipfail.</param>
/// <param name="Channel">The cluster channel.</param>
public sealed record MembershipCounters(
    string Status,
    ulong? Generation,
    MembershipTimings? TimingMs,
    long? Stalls,
    long? Accepted,
    IReadOnlyDictionary<string, long>? Rejected,
    long? ReceiveErrors,
    ConnectivitySnapshot? Connectivity,
    ChannelCounters? Channel);
