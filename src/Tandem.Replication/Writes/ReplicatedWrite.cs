namespace Tandem.Replication.Writes;

/// <summary>A write sent to the peer and kept in the <see cref="TransferLog"/> until its epoch is acknowledged.</summary>
/// <param name="id">Its id on the wire (the peer's acks name it).</param>
/// <param name="offset">Where it writes.</param>
/// <param name="length">How many bytes.</param>
/// <param name="epoch">The epoch it belongs to.</param>
internal sealed class ReplicatedWrite(ulong id, long offset, int length, Epoch epoch)
{
    public ulong Id { get; } = id;

    public long Offset { get; } = offset;

    public int Length { get; } = length;

    public Epoch Epoch { get; } = epoch;

    /// <summary>A diskless node's write: the peer holds its only copy, so a lost connection fails it.</summary>
    public bool Diskless { get; set; }

    /// <summary>
    /// Completed when the peer has it (as the protocol says), or the peer is lost. Its waiter
    /// (the rest of the write, then the NBD reply) runs inline on the thread that completes
    /// it, usually the receive thread on the ack: a thread-pool hop per write costs more than
    /// that work (docs/benchmarks.md). So it is never completed under the volume's lock once awaited.
    /// </summary>
    public TaskCompletionSource NetOk { get; } = new();
}
