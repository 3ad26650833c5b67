using Tandem.Replication.Peer;

namespace Tandem.Replication;

/// <summary>
/// What the volume's parts that work per session (resync source and target, online verify, the
/// digest exchange) need of the volume they run in: its agreed size and role, local I/O under the
/// disk-timeout and on-io-error policy, and the replication state a resync moves through (which
/// the volume guards together with its other state).
/// </summary>
internal interface IVolumeHost
{
    /// <summary>The agreed size in bytes.</summary>
    long Size { get; }

    /// <summary>This node's role.</summary>
    Role Role { get; }

    /// <summary>Runs one local request under disk-timeout; a failure applies the on-io-error policy and is rethrown.</summary>
    ValueTask LocalAsync(Func<ValueTask> io);

    /// <summary>A resync starts on <paramref name="session"/> with this node as <paramref name="side"/>
    /// (SyncSource: the peer is Inconsistent until it ends).</summary>
    void EnterResync(PeerSession session, ReplicationState side, ResyncProgress progress);

    /// <summary>The resync on <paramref name="session"/> is done: Established, the peer UpToDate.</summary>
    void EndResync(PeerSession session);
}
