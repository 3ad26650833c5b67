using Tandem.Core.Volumes;

namespace Tandem.Replication.Tests.Support;

/// <summary>
/// Wraps a volume and fails on demand: every I/O fails with EIO while <see cref="FailAll"/> is
/// set, and the next write can be torn (only its first N bytes land, then it fails — a power cut).
/// </summary>
internal sealed class FaultyVolume(IBlockVolume inner) : IBlockVolume
{
    private int _tearAt = -1;

    public bool FailAll { get; set; }

    public bool FailWrites { get; set; }

    public int Writes;

    /// <summary>Flushes that reached the backing.</summary>
    public int Flushes;

    /// <summary>While set, writes wait until it completes (a frozen disk).</summary>
    public TaskCompletionSource? Freeze { get; set; }

    /// <summary>When set, the volume shows only this many bytes (a backing that can grow online up to the file's size).</summary>
    public long? SizeLimit { get; set; }

    public long Size => SizeLimit ?? inner.Size;

    public int MinimumBlockSize => inner.MinimumBlockSize;

    public int PreferredBlockSize => inner.PreferredBlockSize;

    public VolumeFeatures Features => inner.Features;

    /// <summary>The next write stores only its first <paramref name="bytes"/> bytes, then throws.</summary>
    public void TearNextWrite(int bytes) => _tearAt = bytes;

    public ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken) =>
        FailAll ? ValueTask.FromException(Eio()) : inner.ReadAsync(offset, buffer, cancellationToken);

    public async ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, bool forceUnitAccess, CancellationToken cancellationToken)
    {
        if (FailAll || FailWrites)
        {
            throw Eio();
        }
        Interlocked.Increment(ref Writes);
        if (Freeze is { } freeze)
        {
            await freeze.Task;
        }
        var tear = Interlocked.Exchange(ref _tearAt, -1);
        if (tear >= 0)
        {
            await inner.WriteAsync(offset, data[..Math.Min(tear, data.Length)], false, cancellationToken);
            throw new VolumeException(VolumeError.Io, "torn write (injected power cut)");
        }
        await inner.WriteAsync(offset, data, forceUnitAccess, cancellationToken);
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (FailAll)
        {
            return ValueTask.FromException(Eio());
        }
        Interlocked.Increment(ref Flushes);
        return inner.FlushAsync(cancellationToken);
    }

    public ValueTask TrimAsync(long offset, long length, bool forceUnitAccess, CancellationToken cancellationToken) =>
        inner.TrimAsync(offset, length, forceUnitAccess, cancellationToken);

    public ValueTask<bool> WriteZeroesAsync(long offset, long length, WriteZeroesFlags flags, CancellationToken cancellationToken) =>
        inner.WriteZeroesAsync(offset, length, flags, cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();

    private static VolumeException Eio() => new(VolumeError.Io, "injected I/O error");
}
