namespace Tandem.Replication.Writes;

/// <summary>The writes between two barriers (drbd.md §1.2): the peer acknowledges them together once stable.</summary>
/// <param name="number">Its number on the wire.</param>
internal sealed class Epoch(uint number)
{
    public uint Number { get; } = number;

    /// <summary>Whether its barrier was sent.</summary>
    public bool Closed { get; set; }

    public List<ReplicatedWrite> Requests { get; } = [];

    /// <summary>Completed when the peer confirmed the epoch stable, or was lost; runs its waiter (a FLUSH, a FUA write) inline, as <see cref="ReplicatedWrite.NetOk"/>.</summary>
    public TaskCompletionSource Acked { get; } = new();
}
