using System.Buffers.Binary;
using System.Security.Cryptography;
using Tandem.Core.Model;
using Tandem.Core.Volumes;
using Tandem.Replication.Uuids;

namespace Tandem.Replication.Metadata;

/// <summary>
/// The metadata of one replica: superblock (generation UUIDs, flags, sizes), quick-sync bitmap and
/// activity log, on the data backing (internal) or a separate device (external).
/// </summary>
public sealed class ReplicaMetadata
{
    private readonly IBlockVolume _device;
    private readonly IBlockVolume _backing;
    private readonly SemaphoreSlim _superblockLock = new(1, 1);
    private readonly SemaphoreSlim _bitmapLock = new(1, 1);
    private Superblock _superblock;
    private ulong _alSequence;

    private ReplicaMetadata(IBlockVolume device, IBlockVolume backing, MetadataLayout layout, Superblock superblock)
    {
        _device = device;
        _backing = backing;
        Layout = layout;
        _superblock = superblock;
        Bitmap = new QuickSyncBitmap(layout.UsableSize);
        ActivityLog = new ActivityLog(superblock.AlExtents, 0, [], PersistActivityLogAsync, FlushBitmapAsync);
    }

    /// <summary>Where the pieces are.</summary>
    public MetadataLayout Layout { get; private set; }

    /// <summary>Bytes of data the replica exposes.</summary>
    public long UsableSize => Layout.UsableSize;

    /// <summary>
    /// Whether the backing was found smaller than the metadata says at open: the replica was then
    /// marked Inconsistent (and for a full sync).
    /// </summary>
    public bool BackingShrank { get; private set; }

    /// <summary>The generation UUIDs as last written.</summary>
    public GenerationUuids Uuids => _superblock.Uuids;

    /// <summary>The flags as last written.</summary>
    public MetadataFlags Flags => _superblock.Flags;

    /// <summary>The random id of this device.</summary>
    public ulong DeviceUuid => _superblock.DeviceUuid;

    /// <summary>The superblock's write sequence number.</summary>
    public ulong Sequence => _superblock.Sequence;

    /// <summary>The last size both peers agreed on, or 0.</summary>
    public long LastAgreedSize => _superblock.LastAgreedSize;

    /// <summary>The quick-sync bitmap.</summary>
    public QuickSyncBitmap Bitmap { get; private set; }

    /// <summary>The activity log.</summary>
    public ActivityLog ActivityLog { get; private set; }

    /// <summary>True when the open found the node crashed while Primary (the AL was applied).</summary>
    public bool RecoveredFromCrash { get; private set; }

    /// <summary>
    /// Creates metadata (<c>tandem volume create-md</c>): fresh UUIDs (current = JUST_CREATED),
    /// inconsistent, bitmap clear. Refuses, saying what it found, to overwrite a filesystem or
    /// existing metadata unless <paramref name="force"/>.
    /// </summary>
    /// <param name="backing">The data backing.</param>
    /// <param name="externalMetadata">The metadata device, or null for internal metadata.</param>
    /// <param name="spec">The resource (its disk options give al-extents).</param>
    /// <param name="force">Overwrite what is there.</param>
    /// <param name="cancellationToken">Cancels the I/O.</param>
    /// <returns>The opened metadata.</returns>
    /// <exception cref="MetadataException">Something is there and <paramref name="force"/> is false, or the device is too small.</exception>
    public static Task<ReplicaMetadata> CreateAsync(IBlockVolume backing, IBlockVolume? externalMetadata,
        ReplicatedResourceSpec spec, bool force, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return CreateAsync(backing, externalMetadata, spec.Disk.AlExtents, force, cancellationToken);
    }

    /// <summary>Creates metadata with an explicit activity-log size; see the other overload.</summary>
    /// <param name="backing">The data backing.</param>
    /// <param name="externalMetadata">The metadata device, or null.</param>
    /// <param name="alExtents">Activity-log extents.</param>
    /// <param name="force">Overwrite what is there.</param>
    /// <param name="cancellationToken">Cancels the I/O.</param>
    /// <returns>The opened metadata.</returns>
    public static async Task<ReplicaMetadata> CreateAsync(IBlockVolume backing, IBlockVolume? externalMetadata,
        int alExtents, bool force, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backing);
        ArgumentOutOfRangeException.ThrowIfLessThan(alExtents, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(alExtents, ActivityLog.MaxExtents);
        var layout = MetadataLayout.Compute(backing.Size, externalMetadata?.Size, alExtents);
        var device = externalMetadata ?? backing;
        if (!force)
        {
            var existing = await TryReadSuperblockAsync(device, layout, cancellationToken).ConfigureAwait(false);
            if (existing is not null)
            {
                throw new MetadataException(
                    $"found existing Tandem metadata (generation {existing.Uuids.Current:X16}, write {existing.Sequence}); " +
                    "re-creating it forgets which data is current; use --force to overwrite");
            }
            var fs = await DetectFilesystemAsync(backing, cancellationToken).ConfigureAwait(false);
            if (fs is not null)
            {
                throw new MetadataException(
                    $"found {fs} on the backing; creating metadata marks it Inconsistent and a sync may overwrite it; use --force to proceed");
            }
        }
        var sb = new Superblock
        {
            Sequence = 1,
            UsableSize = layout.UsableSize,
            Uuids = GenerationUuids.Created,
            DeviceUuid = RandomUuid(),
            Flags = MetadataFlags.ActivityLogClean,
            AlExtents = alExtents,
            External = layout.External,
        };
        var md = new ReplicaMetadata(device, backing, layout, sb);
        // Both superblock slots, both AL copies and the whole bitmap, so nothing stale survives.
        var slot = new byte[Superblock.Size];
        sb.Format(slot);
        await device.WriteAsync(layout.SuperblockOffset, slot, false, cancellationToken).ConfigureAwait(false);
        await device.WriteAsync(layout.SuperblockOffset + Superblock.Size, new byte[Superblock.Size], false, cancellationToken).ConfigureAwait(false);
        var al = new byte[layout.ActivityLogCopySize];
        ActivityLog.Format([], 0, alExtents, al);
        await device.WriteAsync(layout.ActivityLogOffset, al, false, cancellationToken).ConfigureAwait(false);
        await device.WriteAsync(layout.ActivityLogOffset + layout.ActivityLogCopySize, al, false, cancellationToken).ConfigureAwait(false);
        md.Bitmap.MarkAllDirty();
        await md.FlushBitmapAsync(cancellationToken).ConfigureAwait(false);
        await device.FlushAsync(cancellationToken).ConfigureAwait(false);
        return md;
    }

    /// <summary>Opens existing metadata; after a crash while Primary, applies the activity log to the bitmap.</summary>
    /// <param name="backing">The data backing.</param>
    /// <param name="externalMetadata">The metadata device, or null for internal metadata.</param>
    /// <param name="cancellationToken">Cancels the I/O.</param>
    /// <returns>The metadata.</returns>
    /// <exception cref="MetadataException">No valid metadata is there.</exception>
    public static async Task<ReplicaMetadata> OpenAsync(IBlockVolume backing, IBlockVolume? externalMetadata, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backing);
        var device = externalMetadata ?? backing;
        // The layout depends on al-extents, which is in the superblock: probe the slots first
        // (their position does not depend on it), then compute the layout from what they say.
        var probe = await ProbeAsync(backing, externalMetadata, cancellationToken).ConfigureAwait(false)
            ?? throw new MetadataException("no valid Tandem metadata found; run `tandem volume create-md` first");
        var (layout, sb) = probe;
        var md = new ReplicaMetadata(device, backing, layout, sb);
        if (layout.UsableSize < sb.UsableSize)
        {
            // The backing shrank since the metadata was written (issue #18 item 6): the blocks past
            // its new end are gone, so this replica must never count as UpToDate: Inconsistent,
            // and a full sync from the peer when it connects.
            md.BackingShrank = true;
            await md.UpdateAsync(u => u, f => (f & ~(MetadataFlags.Consistent | MetadataFlags.WasUpToDate)) | MetadataFlags.FullSync, cancellationToken).ConfigureAwait(false);
            md.Bitmap.SetAll();
        }
        for (var p = 0; p < md.Bitmap.PageCount; p++)
        {
            var page = new byte[MetadataLayout.Block];
            await device.ReadAsync(layout.BitmapOffset + (long)p * MetadataLayout.Block, page, cancellationToken).ConfigureAwait(false);
            md.Bitmap.LoadPage(p, page);
        }
        var extents = await md.ReadActivityLogAsync(cancellationToken).ConfigureAwait(false);
        md.ActivityLog = new ActivityLog(sb.AlExtents, md._alSequence, extents, md.PersistActivityLogAsync, md.FlushBitmapAsync);
        if ((sb.Flags & MetadataFlags.FullSync) != 0)
        {
            md.Bitmap.SetAll();
        }
        if ((sb.Flags & MetadataFlags.PrimaryIndicator) != 0)
        {
            // Crashed while Primary: writes in hot extents may have reached only this disk.
            foreach (var e in extents)
            {
                md.Bitmap.Set((long)e << ActivityLog.ExtentShift, 1L << ActivityLog.ExtentShift);
            }
            md.RecoveredFromCrash = true;
            await md.FlushBitmapAsync(cancellationToken).ConfigureAwait(false);
            await md.UpdateAsync(u => u, f => (f | MetadataFlags.CrashedPrimary) & ~MetadataFlags.PrimaryIndicator, cancellationToken).ConfigureAwait(false);
        }
        return md;
    }

    /// <summary>Rewrites the superblock with changed UUIDs and flags (into the older slot).</summary>
    /// <param name="uuids">Maps the current UUIDs to the new ones.</param>
    /// <param name="flags">Maps the current flags to the new ones.</param>
    /// <param name="cancellationToken">Cancels the I/O.</param>
    /// <returns>Completes when the new superblock is durable.</returns>
    public async Task UpdateAsync(Func<GenerationUuids, GenerationUuids> uuids, Func<MetadataFlags, MetadataFlags> flags, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(uuids);
        ArgumentNullException.ThrowIfNull(flags);
        await _superblockLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var next = _superblock with
            {
                Sequence = _superblock.Sequence + 1,
                Uuids = uuids(_superblock.Uuids),
                Flags = flags(_superblock.Flags),
            };
            await WriteSuperblockAsync(next, cancellationToken).ConfigureAwait(false);
            _superblock = next;
        }
        finally
        {
            _superblockLock.Release();
        }
    }

    /// <summary>
    /// Online grow: when the data backing grew, lays the metadata out for its new size. With
    /// internal metadata the bitmap, the activity log and both superblock slots move to the new
    /// end of the backing (the superblock is written last, so until then the old place is the
    /// valid one for this process and nothing is lost in memory). The caller holds application
    /// writes and resync while this runs.
    /// </summary>
    /// <param name="cancellationToken">Cancels the I/O.</param>
    /// <returns>The usable size afterwards (unchanged when the backing did not grow).</returns>
    public async Task<long> GrowAsync(CancellationToken cancellationToken)
    {
        await _superblockLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _bitmapLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var layout = MetadataLayout.Compute(_backing.Size, Layout.External ? _device.Size : null, _superblock.AlExtents);
                if (layout.UsableSize <= Layout.UsableSize)
                {
                    return Layout.UsableSize;
                }
                var bitmap = new QuickSyncBitmap(layout.UsableSize);
                bitmap.Merge(Bitmap.Snapshot());
                bitmap.MarkAllDirty();
                var al = new byte[layout.ActivityLogCopySize];
                ActivityLog.Format(ActivityLog.Extents, ActivityLog.Sequence, _superblock.AlExtents, al);
                await _device.WriteAsync(layout.ActivityLogOffset, al, false, cancellationToken).ConfigureAwait(false);
                await _device.WriteAsync(layout.ActivityLogOffset + layout.ActivityLogCopySize, al, false, cancellationToken).ConfigureAwait(false);
                foreach (var (page, image) in bitmap.TakeDirtyPages())
                {
                    await _device.WriteAsync(layout.BitmapOffset + (long)page * MetadataLayout.Block, image, false, cancellationToken).ConfigureAwait(false);
                }
                await _device.FlushAsync(cancellationToken).ConfigureAwait(false);
                var next = _superblock with { Sequence = _superblock.Sequence + 1, UsableSize = layout.UsableSize };
                var slot = new byte[Superblock.Size];
                next.Format(slot);
                // Both slots at the new place: neither may hold stale bytes that parse.
                await _device.WriteAsync(layout.SuperblockOffset, slot, true, cancellationToken).ConfigureAwait(false);
                await _device.WriteAsync(layout.SuperblockOffset + Superblock.Size, slot, true, cancellationToken).ConfigureAwait(false);
                await _device.FlushAsync(cancellationToken).ConfigureAwait(false);
                _superblock = next;
                Layout = layout;
                Bitmap = bitmap;
                return layout.UsableSize;
            }
            finally
            {
                _bitmapLock.Release();
            }
        }
        finally
        {
            _superblockLock.Release();
        }
    }

    /// <summary>Records the size both peers agreed on.</summary>
    /// <param name="size">Bytes.</param>
    /// <param name="cancellationToken">Cancels the I/O.</param>
    /// <returns>Completes when durable.</returns>
    public async Task SetLastAgreedSizeAsync(long size, CancellationToken cancellationToken)
    {
        await _superblockLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var next = _superblock with { Sequence = _superblock.Sequence + 1, LastAgreedSize = size };
            await WriteSuperblockAsync(next, cancellationToken).ConfigureAwait(false);
            _superblock = next;
        }
        finally
        {
            _superblockLock.Release();
        }
    }

    /// <summary>Writes the bitmap pages that changed since the last flush.</summary>
    /// <param name="cancellationToken">Cancels the I/O.</param>
    /// <returns>Completes when they are durable.</returns>
    public async ValueTask FlushBitmapAsync(CancellationToken cancellationToken)
    {
        await _bitmapLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        List<(int Page, byte[] Image)> pages = [];
        try
        {
            pages = Bitmap.TakeDirtyPages();
            foreach (var (page, image) in pages)
            {
                await _device.WriteAsync(Layout.BitmapOffset + (long)page * MetadataLayout.Block, image, false, cancellationToken).ConfigureAwait(false);
            }
            if (pages.Count > 0)
            {
                await _device.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            Bitmap.MarkDirty(pages.Select(p => p.Page));
            throw;
        }
        finally
        {
            _bitmapLock.Release();
        }
    }

    /// <summary>Detects a filesystem signature on a backing, for create-md's refusal.</summary>
    /// <param name="backing">The backing.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>A description ("an ext2/3/4 filesystem"), or null.</returns>
    public static async Task<string?> DetectFilesystemAsync(IBlockVolume backing, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backing);
        if (backing.Size < 2048)
        {
            return null;
        }
        var head = new byte[2048];
        await backing.ReadAsync(0, head, cancellationToken).ConfigureAwait(false);
        if (head[0] == (byte)'X' && head[1] == (byte)'F' && head[2] == (byte)'S' && head[3] == (byte)'B')
        {
            return "an XFS filesystem ('XFSB' at offset 0)";
        }
        // ext2/3/4: s_magic 0xEF53, little-endian, at byte 56 of the superblock at 1024.
        if (BinaryPrimitives.ReadUInt16LittleEndian(head.AsSpan(1080)) == 0xEF53)
        {
            return "an ext2/3/4 filesystem (magic 0xEF53 at offset 1080)";
        }
        return null;
    }

    private static async Task<(MetadataLayout, Superblock)?> ProbeAsync(IBlockVolume backing, IBlockVolume? external, CancellationToken cancellationToken)
    {
        if (external is not null)
        {
            var probeLayout = MetadataLayout.Compute(backing.Size, external.Size, 1);
            var sb = await TryReadSuperblockAsync(external, probeLayout, cancellationToken).ConfigureAwait(false);
            return sb is null ? null : (MetadataLayout.Compute(backing.Size, external.Size, sb.AlExtents), sb);
        }
        // Internal: the slots sit at the end, right after the metadata area that depends on
        // al-extents; both slots are the last 8 KiB of the metadata area, which ends within the
        // last 4 KiB of the backing (the start is rounded down), so try the two candidate ends.
        var end = MetadataLayout.RoundDown(backing.Size, MetadataLayout.Block);
        foreach (var slotsAt in new[] { end - 2L * Superblock.Size, end - 3L * Superblock.Size })
        {
            if (slotsAt < 0)
            {
                continue;
            }
            var fake = new MetadataLayout(0, slotsAt, 0, 0, 0, 0, 0, false);
            var sb = await TryReadSuperblockAsync(backing, fake, cancellationToken).ConfigureAwait(false);
            if (sb is not null && !sb.External)
            {
                var layout = MetadataLayout.Compute(backing.Size, null, sb.AlExtents);
                if (layout.SuperblockOffset == slotsAt)
                {
                    return (layout, sb);
                }
            }
        }
        return null;
    }

    private static async Task<Superblock?> TryReadSuperblockAsync(IBlockVolume device, MetadataLayout layout, CancellationToken cancellationToken)
    {
        Superblock? best = null;
        for (var i = 0; i < 2; i++)
        {
            var offset = layout.SuperblockOffset + (long)i * Superblock.Size;
            if (offset < 0 || offset + Superblock.Size > device.Size)
            {
                continue;
            }
            var slot = new byte[Superblock.Size];
            await device.ReadAsync(offset, slot, cancellationToken).ConfigureAwait(false);
            var sb = Superblock.TryParse(slot, out _);
            if (sb is not null && (best is null || sb.Sequence > best.Sequence))
            {
                best = sb;
            }
        }
        return best;
    }

    private async Task WriteSuperblockAsync(Superblock next, CancellationToken cancellationToken)
    {
        // Slot = sequence parity: the slot holding the newest valid copy is never overwritten.
        var slot = new byte[Superblock.Size];
        next.Format(slot);
        var offset = Layout.SuperblockOffset + (long)(next.Sequence % 2) * Superblock.Size;
        await _device.WriteAsync(offset, slot, true, cancellationToken).ConfigureAwait(false);
        await _device.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<uint[]> ReadActivityLogAsync(CancellationToken cancellationToken)
    {
        uint[] best = [];
        var bestSeq = -1L;
        for (var i = 0; i < 2; i++)
        {
            var copy = new byte[Layout.ActivityLogCopySize];
            await _device.ReadAsync(Layout.ActivityLogOffset + (long)i * Layout.ActivityLogCopySize, copy, cancellationToken).ConfigureAwait(false);
            if (ActivityLog.TryParse(copy, out var seq, out var extents) && (long)seq > bestSeq)
            {
                bestSeq = (long)seq;
                best = extents;
            }
        }
        _alSequence = bestSeq < 0 ? 0 : (ulong)bestSeq;
        return best;
    }

    private async ValueTask PersistActivityLogAsync(IReadOnlyCollection<uint> extents, ulong sequence, CancellationToken cancellationToken)
    {
        var copy = new byte[Layout.ActivityLogCopySize];
        ActivityLog.Format(extents, sequence, _superblock.AlExtents, copy);
        var offset = Layout.ActivityLogOffset + (long)(sequence % 2) * Layout.ActivityLogCopySize;
        await _device.WriteAsync(offset, copy, true, cancellationToken).ConfigureAwait(false);
        await _device.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static ulong RandomUuid()
    {
        Span<byte> b = stackalloc byte[8];
        RandomNumberGenerator.Fill(b);
        return BinaryPrimitives.ReadUInt64BigEndian(b) & ~1UL;
    }

    internal static ulong NewRandomUuid() => RandomUuid() | 2; // never 0 or JUST_CREATED after masking
}
