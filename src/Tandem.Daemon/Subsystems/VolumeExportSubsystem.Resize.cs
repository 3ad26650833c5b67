using System.Globalization;
using Tandem.Core.Volumes;
using Tandem.Replication.Metadata;

namespace Tandem.Daemon.Subsystems;

// tandem volume resize (DRBD's drbdadm resize): the backings were grown on both nodes (truncate,
// lvextend); the replicas agree on the new size and the grown area is resynced from here.
public sealed partial class VolumeExportSubsystem
{
    private async Task<string> ResizeAsync(Planned plan, ReplicatedSlot slot, ReplicationActionOptions options, CancellationToken cancellationToken)
    {
        var replica = Require(plan, slot);
        // The backings follow growth (FileVolume.TracksGrowth); read them now for the default size.
        var backingSize = slot.Backing?.Size ?? 0;
        var externalSize = slot.ExternalMetadata?.Size;
        var old = replica.Size;
        long target;
        if (options.Size is { } requested)
        {
            if (requested <= 0 || requested % MetadataLayout.Block != 0)
            {
                throw new VolumeOperationException(VolumeOperationError.BadRequest,
                    string.Create(CultureInfo.InvariantCulture, $"--size must be a positive multiple of {MetadataLayout.Block} bytes, not {requested}"));
            }
            target = requested;
        }
        else
        {
            try
            {
                target = MetadataLayout.Compute(backingSize, externalSize, replica.Metadata.ActivityLog.Capacity).UsableSize;
            }
            catch (MetadataException e)
            {
                throw new VolumeOperationException(VolumeOperationError.Conflict, $"{plan.Name}: {e.Message}", e);
            }
            if (target <= old)
            {
                return string.Create(CultureInfo.InvariantCulture,
                    $"{plan.Name} is {old} bytes, all that its backing {plan.Disk} ({backingSize} bytes with the metadata) allows: grow the backing on both nodes first, or give --size");
            }
        }
        if (target == old)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{plan.Name} is {old} bytes already");
        }
        await SettledAsync(replica, cancellationToken).ConfigureAwait(false);
        await replica.ResizeAsync(target, options.Force, options.AssumeClean, cancellationToken).ConfigureAwait(false);
        return string.Create(CultureInfo.InvariantCulture,
                $"{plan.Name} resized from {old} to {target} bytes on both nodes{(target > old && !options.AssumeClean ? "; the grown area is resynced to the peer" : "")}; NBD clients see the new size when they reconnect");
    }
}
