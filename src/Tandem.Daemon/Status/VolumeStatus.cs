using Tandem.Nbd;
using Tandem.Replication;

namespace Tandem.Daemon.Status;

/// <summary>One entry of the <c>volumes</c> status section: the volume, how it is exported and attached, its replication.</summary>
public sealed record VolumeStatus
{
    /// <summary>The export name (r0, or r0-1 for a resource's second volume).</summary>
    public required string Name { get; init; }

    /// <summary>The resource.</summary>
    public required string Resource { get; init; }

    /// <summary>The volume number within the resource.</summary>
    public int Volume { get; init; }

    /// <summary>The backing disk.</summary>
    public required string Disk { get; init; }

    /// <summary>exported, down, unavailable or starting.</summary>
    public required string State { get; init; }

    /// <summary>Why it is not exported, when it is not.</summary>
    public string? Reason { get; init; }

    /// <summary>The configured device (/dev/drbd0).</summary>
    public string? Device { get; init; }

    /// <summary>The size in bytes, when exported.</summary>
    public long? Size { get; init; }

    /// <summary>The Unix socket of the export.</summary>
    public string? Socket { get; init; }

    /// <summary>The TCP address of the export, if any.</summary>
    public string? Tcp { get; init; }

    /// <summary>The block device attached on this node, if any.</summary>
    public string? AttachedDevice { get; init; }

    /// <summary>How it is attached.</summary>
    public string? AttachMethod { get; init; }

    /// <summary>How many NBD clients are connected.</summary>
    public int? ClientCount { get; init; }

    /// <summary>The connected NBD clients.</summary>
    public IReadOnlyList<NbdClientInfo>? Clients { get; init; }

    /// <summary>Its replication (state <see cref="ReplicaStatus.NotReplicated"/> for a volume without a peer).</summary>
    public required ReplicaStatus Replication { get; init; }
}
