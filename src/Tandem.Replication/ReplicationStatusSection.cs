using Tandem.Core.Status;

namespace Tandem.Replication;

/// <summary>The <c>replication</c> part of <c>tandem status</c>: one entry per replicated volume.</summary>
public sealed class ReplicationStatusSection : IStatusSection
{
    private readonly Lock _lock = new();
    private readonly List<ReplicatedVolume> _volumes = [];

    /// <inheritdoc />
    public string Name => "replication";

    /// <summary>Adds a volume to the section.</summary>
    /// <param name="volume">The volume.</param>
    public void Add(ReplicatedVolume volume)
    {
        lock (_lock)
        {
            _volumes.Add(volume);
        }
    }

    /// <summary>Removes a volume.</summary>
    /// <param name="volume">The volume.</param>
    public void Remove(ReplicatedVolume volume)
    {
        lock (_lock)
        {
            _volumes.Remove(volume);
        }
    }

    /// <inheritdoc />
    object IStatusSection.GetSnapshot() => GetSnapshot();

    /// <summary>Every volume of the section.</summary>
    /// <returns>The section.</returns>
    public ReplicationStatus GetSnapshot()
    {
        lock (_lock)
        {
            return new ReplicationStatus([.. _volumes.Select(v => v.GetStatus())]);
        }
    }
}
