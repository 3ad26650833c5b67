using Tandem.Core.Volumes;

namespace Tandem.Replication.Tests.Support;

/// <summary>An in-memory volume for metadata tests: fast to copy and compare.</summary>
internal sealed class MemoryVolume(byte[] bytes) : IBlockVolume
{
    public MemoryVolume(long size) : this(new byte[size])
    {
    }

    public byte[] Bytes { get; } = bytes;

    public long Size => Bytes.Length;

    public int MinimumBlockSize => 1;

    public int PreferredBlockSize => 4096;

    public VolumeFeatures Features => VolumeFeatures.WriteZeroes;

    public ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        Bytes.AsSpan((int)offset, buffer.Length).CopyTo(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, bool forceUnitAccess, CancellationToken cancellationToken)
    {
        data.Span.CopyTo(Bytes.AsSpan((int)offset));
        return ValueTask.CompletedTask;
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask TrimAsync(long offset, long length, bool forceUnitAccess, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask<bool> WriteZeroesAsync(long offset, long length, WriteZeroesFlags flags, CancellationToken cancellationToken)
    {
        Bytes.AsSpan((int)offset, (int)length).Clear();
        return ValueTask.FromResult(true);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
