using Tandem.Core.Volumes;

namespace Tandem.Nbd.Tests.Hostile;

/// <summary>
/// A disk with a volatile write cache, in memory: a write lands in the cache, a FUA write or a
/// flush makes it durable, and <see cref="PowerLoss"/> keeps a random subset of what was still
/// cached (a real cache writes back in any order, and a write may be torn at 512-byte sectors).
/// Every call after the power loss fails, as a dead machine's would.
/// </summary>
internal sealed class PowerLossVolume(byte[] durable, Random random) : IBlockVolume
{
    private const int Sector = 512;
    private readonly Lock _lock = new();
    private readonly List<(long Offset, byte[] Data)> _cached = [];
    private bool _off;

    /// <summary>What survives: the durable bytes.</summary>
    public byte[] Durable => durable;

    public long Size => durable.Length;

    public int MinimumBlockSize => 1;

    public int PreferredBlockSize => 4096;

    public VolumeFeatures Features => VolumeFeatures.None;

    public void PowerLoss()
    {
        lock (_lock)
        {
            _off = true;
            foreach (var (offset, data) in _cached)
            {
                for (var s = 0; s < data.Length; s += Sector)
                {
                    if (random.Next(2) == 0)
                    {
                        var n = Math.Min(Sector, data.Length - s);
                        data.AsSpan(s, n).CopyTo(durable.AsSpan((int)offset + s, n));
                    }
                }
            }
            _cached.Clear();
        }
    }

    public ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            ThrowIfOff();
            durable.AsSpan((int)offset, buffer.Length).CopyTo(buffer.Span);
            foreach (var (o, d) in _cached)
            {
                var start = Math.Max(o, offset);
                var end = Math.Min(o + d.Length, offset + buffer.Length);
                if (start < end)
                {
                    d.AsSpan((int)(start - o), (int)(end - start)).CopyTo(buffer.Span[(int)(start - offset)..]);
                }
            }
        }
        return ValueTask.CompletedTask;
    }

    public async ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, bool forceUnitAccess, CancellationToken cancellationToken)
    {
        if (random.Next(2) == 0)
        {
            await Task.Yield(); // complete later, so that requests interleave with the power loss
        }
        lock (_lock)
        {
            ThrowIfOff();
            if (forceUnitAccess)
            {
                data.Span.CopyTo(durable.AsSpan((int)offset));
            }
            else
            {
                _cached.Add((offset, data.ToArray()));
            }
        }
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            ThrowIfOff();
            foreach (var (o, d) in _cached)
            {
                d.CopyTo(durable.AsSpan((int)o));
            }
            _cached.Clear();
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask TrimAsync(long offset, long length, bool forceUnitAccess, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask<bool> WriteZeroesAsync(long offset, long length, WriteZeroesFlags flags, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private void ThrowIfOff()
    {
        if (_off)
        {
            throw new VolumeException(VolumeError.Io, "the machine lost power");
        }
    }
}
