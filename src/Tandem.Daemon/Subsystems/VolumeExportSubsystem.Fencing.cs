using Tandem.Replication;
using Tandem.Replication.Metadata;

namespace Tandem.Daemon.Subsystems;

// Fencing resource-only through the cluster (docs/replication.md "Fencing and outdate"): the
// replicas' fence-peer callback asks the peer node over the cluster channel; the peer's daemon
// outdates its replica here. A fence-peer handler in drbd.conf takes precedence: the configuration
// decides.
public sealed partial class VolumeExportSubsystem
{
    /// <summary>How long an outdate request waits for the local replica to notice that the link to the asking Primary is gone.</summary>
    private static readonly TimeSpan s_outdateDisconnectWait = TimeSpan.FromSeconds(5);

    /// <summary>Sets the fence-peer callback when fencing is on, no handler is configured and the cluster channel is there.</summary>
    private ReplicatedVolumeOptions WithFencePeer(ReplicatedSlot slot, ReplicatedVolumeOptions options)
    {
        if (options.Fencing == FencingPolicy.DontCare || options.FencePeerHandler is not null || !_outdater.Available)
        {
            return options;
        }
        var peer = slot.Resource.Hosts
            .Select(h => h.Name)
            .FirstOrDefault(h => !string.Equals(h, _node.NodeName, StringComparison.OrdinalIgnoreCase)
                && _node.Spec.Nodes.Any(n => string.Equals(n.Name, h, StringComparison.OrdinalIgnoreCase)));
        if (peer is null)
        {
            return options; // the peer host is no node of the cluster: nobody to ask (fencing is skipped, with an event)
        }
        var policy = options.Fencing;
        var volume = slot.Name;
        return options with { FencePeer = (_, ct) => _outdater.FencePeerAsync(peer, volume, policy, ct) };
    }

    /// <summary>The peer's fencing asks this node to outdate its copy of a volume.</summary>
    private async Task<OutdateMessage> OutdateForPeerAsync(string from, string volume, CancellationToken cancellationToken)
    {
        var plan = _planned.FirstOrDefault(p => string.Equals(p.Name, volume, StringComparison.Ordinal) && p.Slot is not null);
        if (plan?.Slot is not { } slot)
        {
            return Reply(FencePeerResult.Failed, DiskState.DUnknown, $"{_node.NodeName} has no replicated volume {volume}");
        }
        if (!slot.Resource.Hosts.Any(h => string.Equals(h.Name, from, StringComparison.OrdinalIgnoreCase)))
        {
            return Reply(FencePeerResult.Failed, DiskState.DUnknown, $"{from} is no host of {slot.Resource.Name} here");
        }
        if (slot.Replica is not { } replica)
        {
            // Down: its data cannot be promoted without bringing it up, which connects (or fences) first.
            return Reply(FencePeerResult.Failed, DiskState.DUnknown, $"{volume} is {slot.State} on {_node.NodeName}");
        }
        try
        {
            if (replica.Role == Role.Primary)
            {
                return Reply(FencePeerResult.PeerRefused, replica.Disk, $"{volume} is Primary on {_node.NodeName}");
            }
            // The Primary saw the link go first; this side notices a moment later (or at its ping timeout).
            var started = _time.GetTimestamp();
            while (replica.Connection == ConnectionState.Connected && _time.GetElapsedTime(started) < s_outdateDisconnectWait)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), _time, cancellationToken).ConfigureAwait(false);
            }
            var disk = await replica.OutdateAsync(cancellationToken).ConfigureAwait(false);
            var result = disk switch
            {
                DiskState.Outdated => FencePeerResult.PeerOutdated,
                DiskState.Inconsistent or DiskState.Diskless or DiskState.Failed => FencePeerResult.PeerInconsistent,
                _ => FencePeerResult.Failed,
            };
            Publish("volume.outdated", volume, $"{from} lost its replication link to this node and fenced it: the data here is {disk} and refuses promotion without --force until it resyncs",
                new Dictionary<string, string> { ["peer"] = from, ["disk"] = disk.ToString(), ["result"] = result.ToString() });
            return Reply(result, disk, $"{volume} is {disk} on {_node.NodeName}");
        }
        catch (InvalidOperationException e)
        {
            return Reply(replica.Role == Role.Primary ? FencePeerResult.PeerRefused : FencePeerResult.Failed, SafeDisk(replica), e.Message);
        }
        catch (Exception e) when (e is ObjectDisposedException or IOException or MetadataException)
        {
            return Reply(FencePeerResult.Failed, DiskState.DUnknown, $"{volume}: {e.Message}");
        }

        static OutdateMessage Reply(FencePeerResult result, DiskState disk, string detail) => new(true, 0, result, disk, "", detail);
    }

    private static DiskState SafeDisk(ReplicatedVolume replica)
    {
        try
        {
            return replica.Disk;
        }
        catch (ObjectDisposedException)
        {
            return DiskState.DUnknown;
        }
    }
}
