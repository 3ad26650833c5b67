using System.Buffers.Binary;
using System.Numerics;

namespace Tandem.Replication.Metadata;

/// <summary>
/// The quick-sync bitmap (drbd.md §2.4): one bit per 4 KiB block, set = "may differ from the
/// peer". Bits live in memory; the 4 KiB pages of the on-disk image that changed are tracked as
/// dirty so that persisting writes only those. Thread-safe.
/// </summary>
public sealed class QuickSyncBitmap
{
    /// <summary>Bytes of data per bit.</summary>
    public const int BytesPerBit = 4096;

    private const int BitsPerPage = MetadataLayout.Block * 8;

    private readonly ulong[] _words;
    private readonly bool[] _dirtyPages;
    private readonly Lock _lock = new();
    private long _count;

    /// <summary>Creates an all-clear bitmap for a data size.</summary>
    /// <param name="dataSize">Bytes of data covered.</param>
    public QuickSyncBitmap(long dataSize)
    {
        Blocks = (dataSize + BytesPerBit - 1) / BytesPerBit;
        _words = new ulong[(Blocks + 63) / 64];
        _dirtyPages = new bool[(Blocks + BitsPerPage - 1) / BitsPerPage];
    }

    /// <summary>The number of 4 KiB blocks covered.</summary>
    public long Blocks { get; }

    /// <summary>The number of set bits.</summary>
    public long Count
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    /// <summary>The number of out-of-sync bytes (set bits × 4 KiB).</summary>
    public long OutOfSyncBytes => Count * BytesPerBit;

    internal int PageCount => _dirtyPages.Length;

    /// <summary>Bytes of on-disk bitmap needed for a data size (whole 64-bit words).</summary>
    /// <param name="dataSize">Bytes of data.</param>
    /// <returns>The byte count.</returns>
    public static long BytesFor(long dataSize) => ((dataSize + BytesPerBit - 1) / BytesPerBit + 63) / 64 * 8;

    /// <summary>Marks every block touched by a byte range out of sync.</summary>
    /// <param name="offset">Byte offset.</param>
    /// <param name="length">Byte count.</param>
    /// <returns>The number of bits that changed.</returns>
    public long Set(long offset, long length) => Change(offset, length, set: true);

    /// <summary>Marks every block touched by a range in sync (callers pass whole 4 KiB blocks).</summary>
    /// <param name="offset">Byte offset.</param>
    /// <param name="length">Byte count.</param>
    /// <returns>The number of bits that changed.</returns>
    public long Clear(long offset, long length) => Change(offset, length, set: false);

    /// <summary>Sets every bit (a full sync).</summary>
    public void SetAll() => Set(0, Blocks * BytesPerBit);

    /// <summary>Clears every bit.</summary>
    public void ClearAll() => Clear(0, Blocks * BytesPerBit);

    /// <summary>Whether a block's bit is set.</summary>
    /// <param name="block">The block number.</param>
    /// <returns>True when out of sync.</returns>
    public bool IsSet(long block)
    {
        lock (_lock)
        {
            return (_words[block >> 6] & (1UL << (int)(block & 63))) != 0;
        }
    }

    /// <summary>The first set bit at or after a block, or -1.</summary>
    /// <param name="fromBlock">Where to start.</param>
    /// <returns>The block number or -1.</returns>
    public long FindNextSet(long fromBlock)
    {
        lock (_lock)
        {
            if (fromBlock >= Blocks || fromBlock < 0)
            {
                return -1;
            }
            var w = fromBlock >> 6;
            var word = _words[w] & (ulong.MaxValue << (int)(fromBlock & 63));
            while (true)
            {
                if (word != 0)
                {
                    var b = (w << 6) + BitOperations.TrailingZeroCount(word);
                    return b < Blocks ? b : -1;
                }
                if (++w >= _words.Length)
                {
                    return -1;
                }
                word = _words[w];
            }
        }
    }

    /// <summary>ORs another bitmap of the same size into this one (both sides' divergence).</summary>
    /// <param name="words">The other bitmap's words.</param>
    public void Merge(ReadOnlySpan<ulong> words) => MergeAt(0, words);

    /// <summary>ORs a run of another bitmap's words, starting at a word index, into this one.</summary>
    /// <param name="firstWord">The index of the first word.</param>
    /// <param name="words">The words.</param>
    public void MergeAt(long firstWord, ReadOnlySpan<ulong> words)
    {
        lock (_lock)
        {
            for (var j = 0; firstWord + j < _words.Length && j < words.Length; j++)
            {
                var i = (int)(firstWord + j);
                var incoming = words[j];
                if (i == _words.Length - 1 && (Blocks & 63) != 0)
                {
                    incoming &= (1UL << (int)(Blocks & 63)) - 1;
                }
                var merged = _words[i] | incoming;
                if (merged != _words[i])
                {
                    _count += BitOperations.PopCount(merged) - BitOperations.PopCount(_words[i]);
                    _words[i] = merged;
                    _dirtyPages[i * 64 / BitsPerPage] = true;
                }
            }
        }
    }

    /// <summary>A copy of the words (for sending to the peer).</summary>
    /// <returns>The words.</returns>
    public ulong[] Snapshot()
    {
        lock (_lock)
        {
            return (ulong[])_words.Clone();
        }
    }

    /// <summary>Takes the dirty pages, formatted as their on-disk images, and marks them clean.</summary>
    internal List<(int Page, byte[] Image)> TakeDirtyPages()
    {
        var pages = new List<(int, byte[])>();
        lock (_lock)
        {
            for (var p = 0; p < _dirtyPages.Length; p++)
            {
                if (_dirtyPages[p])
                {
                    _dirtyPages[p] = false;
                    pages.Add((p, FormatPage(p)));
                }
            }
        }
        return pages;
    }

    /// <summary>Marks pages dirty again after a failed write.</summary>
    internal void MarkDirty(IEnumerable<int> pages)
    {
        lock (_lock)
        {
            foreach (var p in pages)
            {
                _dirtyPages[p] = true;
            }
        }
    }

    internal void MarkAllDirty()
    {
        lock (_lock)
        {
            Array.Fill(_dirtyPages, true);
        }
    }

    internal void LoadPage(int page, ReadOnlySpan<byte> image)
    {
        lock (_lock)
        {
            var first = page * (MetadataLayout.Block / 8);
            for (var i = 0; i < MetadataLayout.Block / 8 && first + i < _words.Length; i++)
            {
                var word = BinaryPrimitives.ReadUInt64BigEndian(image[(i * 8)..]);
                if (first + i == _words.Length - 1 && (Blocks & 63) != 0)
                {
                    // Bits past the end are never set, whatever the disk says.
                    word &= (1UL << (int)(Blocks & 63)) - 1;
                }
                _count += BitOperations.PopCount(word) - BitOperations.PopCount(_words[first + i]);
                _words[first + i] = word;
            }
        }
    }

    private byte[] FormatPage(int page)
    {
        var image = new byte[MetadataLayout.Block];
        var first = page * (MetadataLayout.Block / 8);
        for (var i = 0; i < MetadataLayout.Block / 8 && first + i < _words.Length; i++)
        {
            BinaryPrimitives.WriteUInt64BigEndian(image.AsSpan(i * 8), _words[first + i]);
        }
        return image;
    }

    private long Change(long offset, long length, bool set)
    {
        if (length <= 0)
        {
            return 0;
        }
        var first = Math.Max(0, offset / BytesPerBit);
        var last = Math.Min(Blocks - 1, (offset + length - 1) / BytesPerBit);
        long changed = 0;
        lock (_lock)
        {
            for (var b = first; b <= last; b++)
            {
                ref var word = ref _words[b >> 6];
                var mask = 1UL << (int)(b & 63);
                var isSet = (word & mask) != 0;
                if (isSet != set)
                {
                    word = set ? word | mask : word & ~mask;
                    changed++;
                    _dirtyPages[b / BitsPerPage] = true;
                }
            }
            _count += set ? changed : -changed;
        }
        return changed;
    }
}
