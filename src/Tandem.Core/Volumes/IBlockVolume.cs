namespace Tandem.Core.Volumes;

/// <summary>
/// A block volume as the NBD server sees it: a fixed-size range of bytes with the durability
/// promises of the NBD protocol. The local backing (<see cref="FileVolume"/>) implements it now;
/// the replicated volume implements it later.
/// </summary>
/// <remarks>
/// Durability: when <see cref="FlushAsync"/> completes, every write that completed before the
/// flush started is on stable storage; when a write with <c>forceUnitAccess</c> completes, that
/// write is. Implementations must be safe for concurrent calls on different ranges; the server
/// does not order overlapping requests (NBD clients must not have overlapping writes in flight).
/// Errors are reported by throwing <see cref="VolumeException"/> (or <see cref="IOException"/>).
/// </remarks>
public interface IBlockVolume : IAsyncDisposable
{
    /// <summary>The size in bytes.</summary>
    long Size { get; }

    /// <summary>The smallest alignment, in bytes, that offsets and lengths must respect (1 for none).</summary>
    int MinimumBlockSize { get; }

    /// <summary>The alignment that avoids read-modify-write, in bytes (typically 4096).</summary>
    int PreferredBlockSize { get; }

    /// <summary>What the volume supports beyond read and write.</summary>
    VolumeFeatures Features { get; }

    /// <summary>Reads <paramref name="buffer"/>.Length bytes at <paramref name="offset"/>.</summary>
    /// <param name="offset">Byte offset; the range lies within <see cref="Size"/>.</param>
    /// <param name="buffer">Where the bytes go; filled completely.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>Completes when the buffer is filled.</returns>
    ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>Writes <paramref name="data"/> at <paramref name="offset"/>.</summary>
    /// <param name="offset">Byte offset; the range lies within <see cref="Size"/>.</param>
    /// <param name="data">The bytes.</param>
    /// <param name="forceUnitAccess">Complete only when this write is on stable storage (NBD FUA).</param>
    /// <param name="cancellationToken">Cancels the write (its effect may still happen).</param>
    /// <returns>Completes when the write is visible to reads (and durable with FUA).</returns>
    ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, bool forceUnitAccess, CancellationToken cancellationToken);

    /// <summary>Makes every write completed before this call durable (NBD FLUSH).</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>Completes when those writes are on stable storage.</returns>
    ValueTask FlushAsync(CancellationToken cancellationToken);

    /// <summary>Tells the volume that a range is no longer needed (NBD TRIM). Advisory: the content
    /// afterwards is unspecified, and doing nothing is a valid implementation.</summary>
    /// <param name="offset">Byte offset.</param>
    /// <param name="length">Byte count.</param>
    /// <param name="forceUnitAccess">Complete only when the effect is durable.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>Completes when done.</returns>
    ValueTask TrimAsync(long offset, long length, bool forceUnitAccess, CancellationToken cancellationToken);

    /// <summary>Makes a range read back as zeros (NBD WRITE_ZEROES).</summary>
    /// <param name="offset">Byte offset.</param>
    /// <param name="length">Byte count.</param>
    /// <param name="flags">Whether holes may be punched, whether only a fast path is acceptable, FUA.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>True when done; false only with <see cref="WriteZeroesFlags.FastOnly"/> when zeroing
    /// would be no faster than writing zeros (then nothing was changed).</returns>
    ValueTask<bool> WriteZeroesAsync(long offset, long length, WriteZeroesFlags flags, CancellationToken cancellationToken);
}
