using System.Buffers.Binary;

namespace Tandem.Replication.Metadata;

/// <summary>
/// The activity log (drbd.md §2.3): the set of "hot" 4 MiB extents that may hold writes the peer
/// has not confirmed. A write to a cold extent first commits the new set to disk (an AL
/// transaction); extents leave by LRU, only when no write in them awaits the peer, and only after
/// the bitmap was persisted — so on-disk bitmap ∪ AL always over-approximates divergence.
/// </summary>
/// <remarks>
/// Unlike DRBD's ring of incremental 4 KiB transactions, each transaction here writes the whole
/// set as one checksummed snapshot into the older of two copies (as the superblock): simpler,
/// equally torn-write safe, and cold-extent commits are rare enough that the size does not matter.
/// </remarks>
public sealed class ActivityLog
{
    /// <summary>log2 of the extent size (4 MiB, DRBD's AL_EXTENT_SHIFT).</summary>
    public const int ExtentShift = 22;

    /// <summary>The largest configurable number of extents.</summary>
    public const int MaxExtents = 65534;

    // Copy layout (big-endian): 0 magic u32 'TMAL', 4 sequence u64, 12 count u32, 16 capacity u32,
    // 20..31 zero, 32.. count × extent u32, last 4 bytes crc32c over the rest.
    private const uint Magic = 0x544D414C;
    private const int HeaderSize = 32;

    private readonly LinkedList<uint> _lru = new();
    private readonly Dictionary<uint, (LinkedListNode<uint> Node, int Pending)> _hot = [];
    private readonly SemaphoreSlim _commit = new(1, 1);
    private readonly Lock _lock = new();
    private readonly Func<IReadOnlyCollection<uint>, ulong, CancellationToken, ValueTask> _persist;
    private readonly Func<CancellationToken, ValueTask> _flushBitmap;
    private readonly int _slots;
    private ulong _sequence;
    private int _busy;
    private TaskCompletionSource? _idle; // completed when a busy extent becomes idle
    private readonly HashSet<uint> _uncommitted = []; // hot, but not yet in a committed transaction

    internal ActivityLog(int capacity, ulong sequence, IEnumerable<uint> extents,
        Func<IReadOnlyCollection<uint>, ulong, CancellationToken, ValueTask> persist,
        Func<CancellationToken, ValueTask> flushBitmap)
    {
        Capacity = capacity;
        _slots = Slots(capacity);
        _sequence = sequence;
        _persist = persist;
        _flushBitmap = flushBitmap;
        foreach (var e in extents)
        {
            if (!_hot.ContainsKey(e))
            {
                _hot[e] = (_lru.AddFirst(e), 0);
            }
        }
    }

    /// <summary>The configured number of extents (al-extents).</summary>
    public int Capacity { get; }

    /// <summary>Extents with writes not yet confirmed by the peer (DRBD's AL "in use", for congestion-extents).</summary>
    internal int BusyExtents
    {
        get
        {
            lock (_lock)
            {
                return _busy;
            }
        }
    }

    /// <summary>The sequence number of the newest transaction.</summary>
    internal ulong Sequence => Interlocked.Read(ref _sequence);

    /// <summary>The number of AL transactions committed since open.</summary>
    public long Transactions { get; private set; }

    /// <summary>The hot extents now.</summary>
    public IReadOnlyCollection<uint> Extents
    {
        get
        {
            lock (_lock)
            {
                return [.. _hot.Keys];
            }
        }
    }

    /// <summary>How many extents one on-disk copy can record (at least the capacity).</summary>
    internal static int Slots(int capacity) => (CopySize(capacity) - HeaderSize - 4) / 4;

    /// <summary>Bytes of one on-disk copy for a capacity.</summary>
    /// <param name="capacity">al-extents.</param>
    /// <returns>A multiple of 4 KiB.</returns>
    public static int CopySize(int capacity) =>
        (int)MetadataLayout.RoundUp(HeaderSize + 4L * capacity + 4, MetadataLayout.Block);

    /// <summary>
    /// Makes the extents of a write hot (committing a transaction first if one was cold) and pins
    /// them until <see cref="Complete"/>.
    /// </summary>
    /// <param name="offset">Byte offset of the write.</param>
    /// <param name="length">Byte count.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>Completes when the write may be submitted.</returns>
    public async ValueTask BeginAsync(long offset, long length, CancellationToken cancellationToken)
    {
        var (first, last) = Range(offset, length);
        if (TryPinAllHot(first, last))
        {
            return;
        }
        await _commit.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (TryPinAllHot(first, last))
            {
                return;
            }
            List<uint> snapshot;
            var evicting = false;
            while (true)
            {
                Task idle;
                lock (_lock)
                {
                    for (var e = first; e <= last; e++)
                    {
                        if (!_hot.ContainsKey(e))
                        {
                            _hot[e] = (_lru.AddFirst(e), 0);
                            _uncommitted.Add(e);
                            evicting |= _hot.Count > Capacity;
                        }
                    }
                    // Evict idle extents beyond the capacity; if every extent is busy, the set grows
                    // past the capacity for now (still a safe over-approximation) and shrinks later.
                    var node = _lru.Last;
                    while (_hot.Count > Capacity && node is not null)
                    {
                        var prev = node.Previous;
                        if (_hot[node.Value].Pending == 0 && (node.Value < first || node.Value > last))
                        {
                            _hot.Remove(node.Value);
                            _lru.Remove(node);
                        }
                        node = prev;
                    }
                    // ...but never past what the on-disk copy can record: an extent left out of
                    // it would not be resynced after a crash. Wait for a write to finish instead
                    // (DRBD's "AL full"); no single write spans that many extents.
                    if (_hot.Count <= _slots)
                    {
                        snapshot = [.. _hot.Keys];
                        break;
                    }
                    _idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    idle = _idle.Task;
                }
                await idle.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            if (evicting)
            {
                // The bits of an extent leaving the log must be on disk before the log forgets it.
                await _flushBitmap(cancellationToken).ConfigureAwait(false);
            }
            var seq = ++_sequence;
            await _persist(snapshot, seq, cancellationToken).ConfigureAwait(false);
            Transactions++;
            lock (_lock)
            {
                // Only now may other writers use these extents without a commit of their own;
                // after a failed commit they stay uncommitted and the next commit records them.
                _uncommitted.Clear();
            }
            if (!TryPinAllHot(first, last))
            {
                throw new InvalidOperationException("activity log extents vanished during their own commit");
            }
        }
        finally
        {
            _commit.Release();
        }
    }

    /// <summary>Unpins the extents of a write the peer confirmed (or that will never reach it).</summary>
    /// <param name="offset">Byte offset of the write.</param>
    /// <param name="length">Byte count.</param>
    public void Complete(long offset, long length)
    {
        var (first, last) = Range(offset, length);
        lock (_lock)
        {
            for (var e = first; e <= last; e++)
            {
                if (_hot.TryGetValue(e, out var entry) && entry.Pending > 0)
                {
                    if (entry.Pending == 1)
                    {
                        _busy--;
                        _idle?.TrySetResult();
                        _idle = null;
                    }
                    _hot[e] = (entry.Node, entry.Pending - 1);
                }
            }
        }
    }

    internal static void Format(IReadOnlyCollection<uint> extents, ulong sequence, int capacity, Span<byte> copy)
    {
        copy.Clear();
        BinaryPrimitives.WriteUInt32BigEndian(copy, Magic);
        BinaryPrimitives.WriteUInt64BigEndian(copy[4..], sequence);
        var n = Math.Min(extents.Count, (copy.Length - HeaderSize - 4) / 4);
        BinaryPrimitives.WriteInt32BigEndian(copy[12..], n);
        BinaryPrimitives.WriteInt32BigEndian(copy[16..], capacity);
        var i = 0;
        foreach (var e in extents)
        {
            if (i == n)
            {
                break;
            }
            BinaryPrimitives.WriteUInt32BigEndian(copy[(HeaderSize + 4 * i++)..], e);
        }
        BinaryPrimitives.WriteUInt32BigEndian(copy[^4..], Crc32CHelper.Compute(copy[..^4]));
    }

    internal static bool TryParse(ReadOnlySpan<byte> copy, out ulong sequence, out uint[] extents)
    {
        sequence = 0;
        extents = [];
        if (copy.Length < HeaderSize + 4 || BinaryPrimitives.ReadUInt32BigEndian(copy) != Magic
            || BinaryPrimitives.ReadUInt32BigEndian(copy[^4..]) != Crc32CHelper.Compute(copy[..^4]))
        {
            return false;
        }
        var n = BinaryPrimitives.ReadInt32BigEndian(copy[12..]);
        if (n < 0 || n > (copy.Length - HeaderSize - 4) / 4)
        {
            return false;
        }
        sequence = BinaryPrimitives.ReadUInt64BigEndian(copy[4..]);
        extents = new uint[n];
        for (var i = 0; i < n; i++)
        {
            extents[i] = BinaryPrimitives.ReadUInt32BigEndian(copy[(HeaderSize + 4 * i)..]);
        }
        return true;
    }

    private bool TryPinAllHot(uint first, uint last)
    {
        lock (_lock)
        {
            for (var e = first; e <= last; e++)
            {
                if (!_hot.ContainsKey(e) || _uncommitted.Contains(e))
                {
                    return false;
                }
            }
            for (var e = first; e <= last; e++)
            {
                var entry = _hot[e];
                _lru.Remove(entry.Node);
                _lru.AddFirst(entry.Node);
                _busy += entry.Pending == 0 ? 1 : 0;
                _hot[e] = (entry.Node, entry.Pending + 1);
            }
            return true;
        }
    }

    private static (uint First, uint Last) Range(long offset, long length) =>
        ((uint)(offset >> ExtentShift), (uint)((offset + Math.Max(length, 1) - 1) >> ExtentShift));
}
