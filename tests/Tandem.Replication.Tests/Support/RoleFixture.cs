using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Tandem.Replication.Metadata;
using Tandem.Replication.Peer;
using Tandem.Replication.Protocol;
using Tandem.Replication.Transport;
using Tandem.Replication.Uuids;

namespace Tandem.Replication.Tests.Support;

/// <summary>
/// One replica's parts without a volume or a peer: metadata on a memory backing, its
/// <see cref="ReplicaDisk"/>, events, and a session over in-memory wires that nobody reads
/// (frames sent to the "peer" only queue), for the role types' unit tests.
/// </summary>
internal sealed class RoleFixture : IVolumeHost, IAsyncDisposable
{
    private RoleFixture(MemoryVolume backing, ReplicaMetadata metadata)
    {
        Backing = backing;
        Metadata = metadata;
        Options = new ReplicatedVolumeOptions
        {
            Resource = "r0",
            NodeName = "alpha",
            Listen = new IPEndPoint(IPAddress.Loopback, 1),
            Peer = new IPEndPoint(IPAddress.Loopback, 2),
        };
        Events = new VolumeEvents(Options, Sink, NullLogger.Instance, CancellationToken.None);
        Disk = new ReplicaDisk(metadata, Lock, Events);
        var stream = new InMemoryPeerStream(new InMemoryWire(1 << 20), new InMemoryWire(1 << 20));
        Session = new PeerSession(new PeerConnection(stream), false, new SyncPlan(SyncAction.None, false, false, false, "test"), FeatureFlags.None);
    }

    public Lock Lock { get; } = new();

    public MemoryVolume Backing { get; }

    public ReplicaMetadata Metadata { get; }

    public ReplicatedVolumeOptions Options { get; }

    public RecordingEventSink Sink { get; } = new();

    public VolumeEvents Events { get; }

    public ReplicaDisk Disk { get; }

    public PeerSession Session { get; }

    /// <summary>The replication states a resync entered, in order (EndResync records Established).</summary>
    public List<ReplicationState> States { get; } = [];

    public long Size => Metadata.UsableSize;

    public Role Role => Role.Secondary;

    public static async Task<RoleFixture> CreateAsync(CancellationToken cancellationToken)
    {
        var backing = new MemoryVolume(8L << 20);
        var md = await ReplicaMetadata.CreateAsync(backing, null, 67, force: true, cancellationToken);
        return new RoleFixture(backing, md);
    }

    public ValueTask LocalAsync(Func<ValueTask> io) => io();

    public void EnterResync(PeerSession session, ReplicationState side, ResyncProgress progress)
    {
        session.Resync = progress;
        States.Add(side);
    }

    public void EndResync(PeerSession session)
    {
        session.Resync = null;
        States.Add(ReplicationState.Established);
    }

    public async ValueTask DisposeAsync() => await Session.Connection.DisposeAsync();
}
