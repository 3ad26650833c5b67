using Tandem.Replication.Protocol;

namespace Tandem.Replication.Writes;

/// <summary>
/// The Primary's transfer log (drbd.md §1.2): the writes sent to the peer and not yet confirmed
/// stable, by epoch, oldest first. A barrier closes the open epoch; the peer's barrier ack retires
/// the oldest one with its writes. Not thread-safe: the volume's lock guards it, and the waiters of
/// what it returns are completed outside that lock.
/// </summary>
internal sealed class TransferLog
{
    private readonly LinkedList<Epoch> _epochs = new();
    private readonly Dictionary<ulong, ReplicatedWrite> _pending = [];
    private ulong _nextId;
    private uint _epoch = 1;

    public TransferLog() => _epochs.AddLast(new Epoch(_epoch));

    /// <summary>The open epoch's number.</summary>
    public uint CurrentEpoch => _epoch;

    /// <summary>Writes in the open epoch.</summary>
    public int OpenEpochWrites { get; private set; }

    /// <summary>Set when a completed write or a flush wants the open epoch closed before the next write (later writes may depend on it).</summary>
    public bool CloseRequested { get; set; }

    /// <summary>Writes not yet confirmed.</summary>
    public int Count => _pending.Count;

    /// <summary>Bytes of writes not yet confirmed by a barrier ack (DRBD's ap_in_flight).</summary>
    public long Bytes { get; private set; }

    /// <summary>Adds a write to the open epoch.</summary>
    public ReplicatedWrite Add(long offset, int length)
    {
        var epoch = _epochs.Last!.Value;
        var write = new ReplicatedWrite(++_nextId, offset, length, epoch);
        epoch.Requests.Add(write);
        OpenEpochWrites++;
        _pending[write.Id] = write;
        Bytes += length;
        return write;
    }

    /// <summary>Closes the open epoch if it has writes (empty epochs are never closed).</summary>
    /// <returns>The barrier to send (the epoch's number and size), or null.</returns>
    public (uint Number, uint SetSize)? Close()
    {
        CloseRequested = false;
        if (OpenEpochWrites == 0)
        {
            return null;
        }
        var epoch = _epochs.Last!.Value;
        epoch.Closed = true;
        var barrier = (epoch.Number, (uint)OpenEpochWrites);
        OpenNext();
        return barrier;
    }

    /// <summary>The newest epoch whose barrier was sent, or null.</summary>
    public Epoch? LastClosed()
    {
        for (var node = _epochs.Last; node is not null; node = node.Previous)
        {
            if (node.Value.Closed)
            {
                return node.Value;
            }
        }
        return null;
    }

    /// <summary>A write waiting for the peer, by id.</summary>
    public ReplicatedWrite? Find(ulong id) => _pending.GetValueOrDefault(id);

    /// <summary>The peer confirmed an epoch stable: it leaves the log with its writes (the caller completes them).</summary>
    /// <exception cref="ProtocolException">Not the oldest closed epoch, or not its size: the peer's order differs from ours.</exception>
    public Epoch Acknowledge(uint number, uint setSize)
    {
        var first = _epochs.First?.Value;
        if (first is null || !first.Closed || first.Number != number || first.Requests.Count != setSize)
        {
            throw new ProtocolException($"BAD! BarrierAck #{number} with {setSize} writes; expected #{first?.Number} with {first?.Requests.Count}");
        }
        _epochs.RemoveFirst();
        foreach (var r in first.Requests)
        {
            _pending.Remove(r.Id);
            Bytes -= r.Length;
        }
        return first;
    }

    /// <summary>The peer is gone: every epoch leaves the log (the caller marks and completes their writes); a fresh epoch opens.</summary>
    public List<Epoch> Clear()
    {
        var all = _epochs.ToList();
        _epochs.Clear();
        _pending.Clear();
        Bytes = 0;
        CloseRequested = false;
        OpenNext();
        return all;
    }

    private void OpenNext()
    {
        _epoch++;
        OpenEpochWrites = 0;
        _epochs.AddLast(new Epoch(_epoch));
    }
}
