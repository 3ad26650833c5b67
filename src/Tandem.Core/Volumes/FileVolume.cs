using Microsoft.Win32.SafeHandles;
using Tandem.Core.Os;

namespace Tandem.Core.Volumes;

/// <summary>
/// A volume on a local file or block device: buffered <see cref="RandomAccess"/> I/O on one shared
/// handle, made durable with fdatasync. Every call completes synchronously (the page cache makes
/// reads and writes cheap; flush blocks for the fdatasync).
/// </summary>
/// <remarks>
/// Buffered I/O + fdatasync was measured against O_DIRECT on this kind of machine and kept
/// (docs/benchmarks.md): it is as fast for synchronous writes and much faster otherwise, and
/// it needs no alignment. One handle serves every connection, so a flush on any connection covers
/// writes completed on all of them (the page cache is per file), which is what NBD multi-conn needs.
/// </remarks>
public sealed class FileVolume : IBlockVolume
{
    private const int ZeroChunk = 1 << 20;
    private static readonly byte[] s_zeros = new byte[ZeroChunk];

    private readonly SafeFileHandle _handle;
    private readonly bool _readOnly;
    private long _size;

    private FileVolume(string path, SafeFileHandle handle, long size, bool readOnly)
    {
        Path = path;
        _handle = handle;
        _size = size;
        _readOnly = readOnly;
    }

    /// <summary>The backing file or device.</summary>
    public string Path { get; }

    /// <inheritdoc />
    /// <remarks>With <see cref="TracksGrowth"/>, each read looks at the file again (a system call).</remarks>
    public long Size => TracksGrowth ? RefreshSize() : Volatile.Read(ref _size);

    /// <summary>
    /// Whether <see cref="Size"/> follows the file when it grows (a truncate, lvextend under a
    /// running daemon), so that an online resize of a replicated volume finds the new space.
    /// </summary>
    /// <value>False.</value>
    public bool TracksGrowth { get; set; }

    /// <summary>
    /// Reads the size of the file or device again after it grew (a truncate, lvextend): the
    /// online resize of a replicated volume uses the new space. A smaller size is ignored: a backing
    /// that shrinks under a running volume is not supported.
    /// </summary>
    /// <returns>The size now.</returns>
    public long RefreshSize()
    {
        var now = LinuxFile.GetSize(_handle);
        if (now > Volatile.Read(ref _size))
        {
            Volatile.Write(ref _size, now);
        }
        return Volatile.Read(ref _size);
    }

    /// <inheritdoc />
    public int MinimumBlockSize => 1;

    /// <inheritdoc />
    public int PreferredBlockSize => 4096;

    /// <inheritdoc />
    public VolumeFeatures Features =>
        (_readOnly ? VolumeFeatures.ReadOnly : VolumeFeatures.None)
        | VolumeFeatures.Trim | VolumeFeatures.WriteZeroes | VolumeFeatures.FastZero
        | VolumeFeatures.FlushCoversAllConnections;

    /// <summary>Opens an existing file or block device.</summary>
    /// <param name="path">The backing.</param>
    /// <param name="readOnly">Open for reading only.</param>
    /// <returns>The volume; dispose it to close the handle.</returns>
    public static FileVolume Open(string path, bool readOnly = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var handle = File.OpenHandle(path, FileMode.Open, readOnly ? FileAccess.Read : FileAccess.ReadWrite,
            FileShare.ReadWrite);
        try
        {
            return new FileVolume(path, handle, LinuxFile.GetSize(handle), readOnly);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Creates (or truncates) a sparse file of the given size and opens it.</summary>
    /// <param name="path">The file.</param>
    /// <param name="size">Its size in bytes.</param>
    /// <returns>The volume.</returns>
    public static FileVolume Create(string path, long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        using (var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite))
        {
            RandomAccess.SetLength(handle, size);
        }
        return Open(path);
    }

    /// <inheritdoc />
    public ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            CheckRange(offset, buffer.Length);
            var span = buffer.Span;
            while (!span.IsEmpty)
            {
                var n = RandomAccess.Read(_handle, span, offset);
                if (n <= 0)
                {
                    // A file shorter than its size at open (truncated behind our back) reads as zeros.
                    span.Clear();
                    break;
                }
                span = span[n..];
                offset += n;
            }
            return ValueTask.CompletedTask;
        }
        catch (Exception ex)
        {
            return ValueTask.FromException(Translate(ex));
        }
    }

    /// <inheritdoc />
    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, bool forceUnitAccess, CancellationToken cancellationToken)
    {
        try
        {
            CheckWritable();
            CheckRange(offset, data.Length);
            RandomAccess.Write(_handle, data.Span, offset);
            if (forceUnitAccess)
            {
                SyncData();
            }
            return ValueTask.CompletedTask;
        }
        catch (Exception ex)
        {
            return ValueTask.FromException(Translate(ex));
        }
    }

    /// <inheritdoc />
    public ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (!_readOnly)
            {
                SyncData();
            }
            return ValueTask.CompletedTask;
        }
        catch (Exception ex)
        {
            return ValueTask.FromException(Translate(ex));
        }
    }

    /// <inheritdoc />
    public ValueTask TrimAsync(long offset, long length, bool forceUnitAccess, CancellationToken cancellationToken)
    {
        try
        {
            CheckWritable();
            CheckRange(offset, length);
            // Trim is advisory: a backing without hole punching simply keeps the data.
            var errno = LinuxFile.Fallocate(_handle, LinuxFile.FallocPunchHole | LinuxFile.FallocKeepSize, offset, length);
            if (errno != 0 && errno != LinuxFile.Eopnotsupp)
            {
                throw new VolumeException(VolumeError.Io, $"fallocate(PUNCH_HOLE) failed: errno {errno}");
            }
            if (forceUnitAccess)
            {
                SyncData();
            }
            return ValueTask.CompletedTask;
        }
        catch (Exception ex)
        {
            return ValueTask.FromException(Translate(ex));
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> WriteZeroesAsync(long offset, long length, WriteZeroesFlags flags, CancellationToken cancellationToken)
    {
        try
        {
            CheckWritable();
            CheckRange(offset, length);
            var done = TryFastZero(offset, length, mayPunch: (flags & WriteZeroesFlags.NoHole) == 0);
            if (!done)
            {
                if ((flags & WriteZeroesFlags.FastOnly) != 0)
                {
                    return ValueTask.FromResult(false);
                }
                WriteZeros(offset, length);
            }
            if ((flags & WriteZeroesFlags.ForceUnitAccess) != 0)
            {
                SyncData();
            }
            return ValueTask.FromResult(true);
        }
        catch (Exception ex)
        {
            return ValueTask.FromException<bool>(Translate(ex));
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _handle.Dispose();
        return ValueTask.CompletedTask;
    }

    private bool TryFastZero(long offset, long length, bool mayPunch)
    {
        // ZERO_RANGE keeps the blocks allocated (honours NO_HOLE); punching is the fallback
        // for file systems without it (and for block devices, where it means discard-and-zero).
        var errno = LinuxFile.Fallocate(_handle, LinuxFile.FallocZeroRange | LinuxFile.FallocKeepSize, offset, length);
        if (errno == 0)
        {
            return true;
        }
        if (errno == LinuxFile.Enospc)
        {
            throw new VolumeException(VolumeError.NoSpace, "fallocate(ZERO_RANGE): no space");
        }
        if (mayPunch)
        {
            errno = LinuxFile.Fallocate(_handle, LinuxFile.FallocPunchHole | LinuxFile.FallocKeepSize, offset, length);
            if (errno == 0)
            {
                return true;
            }
        }
        return false;
    }

    private void WriteZeros(long offset, long length)
    {
        while (length > 0)
        {
            var n = (int)Math.Min(length, ZeroChunk);
            RandomAccess.Write(_handle, s_zeros.AsSpan(0, n), offset);
            offset += n;
            length -= n;
        }
    }

    private void SyncData()
    {
        var errno = LinuxFile.Fdatasync(_handle);
        if (errno != 0)
        {
            // After a failed fdatasync the kernel may have dropped the dirty pages: the data is
            // not known to be anywhere, so the caller must see an error, never a retry's success.
            throw new VolumeException(errno == LinuxFile.Enospc ? VolumeError.NoSpace : VolumeError.Io,
                $"fdatasync failed on {Path}: errno {errno}");
        }
    }

    private void CheckWritable()
    {
        if (_readOnly)
        {
            throw new VolumeException(VolumeError.ReadOnly, $"{Path} is read-only");
        }
    }

    private void CheckRange(long offset, long length)
    {
        var size = Volatile.Read(ref _size);
        if (offset < 0 || length < 0 || offset > size || length > size - offset)
        {
            throw new VolumeException(VolumeError.Invalid, $"range {offset}+{length} is outside 0..{size}");
        }
    }

    private static Exception Translate(Exception ex) => ex switch
    {
        VolumeException => ex,
        IOException io when io.HResult == LinuxFile.Enospc || io.Message.Contains("No space", StringComparison.Ordinal) =>
            new VolumeException(VolumeError.NoSpace, io.Message, io),
        IOException io => new VolumeException(VolumeError.Io, io.Message, io),
        ObjectDisposedException od => new VolumeException(VolumeError.Shutdown, od.Message, od),
        _ => ex,
    };
}
