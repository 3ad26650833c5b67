namespace Tandem.Replication.Metadata;

/// <summary>
/// Where the pieces of the metadata live. Internal (at the end of the backing):
/// <c>[ data | bitmap | activity log A,B | superblock A | superblock B ]</c>; external (a separate
/// device): <c>[ superblock A | superblock B | activity log A,B | bitmap ]</c>. Every piece is
/// 4 KiB-aligned, and the usable data size is a multiple of 4 KiB.
/// </summary>
/// <param name="UsableSize">Bytes of data the replica exposes.</param>
/// <param name="SuperblockOffset">Offset of slot A (slot B follows) on the metadata device.</param>
/// <param name="ActivityLogOffset">Offset of activity-log copy A (copy B follows).</param>
/// <param name="ActivityLogCopySize">Bytes of one activity-log copy.</param>
/// <param name="BitmapOffset">Offset of the bitmap.</param>
/// <param name="BitmapSize">Bytes of the bitmap region.</param>
/// <param name="MetadataSize">Bytes the metadata occupies in all.</param>
/// <param name="External">Whether the metadata is on its own device.</param>
public sealed record MetadataLayout(
    long UsableSize, long SuperblockOffset, long ActivityLogOffset, int ActivityLogCopySize,
    long BitmapOffset, long BitmapSize, long MetadataSize, bool External)
{
    /// <summary>The block size of all metadata I/O.</summary>
    public const int Block = 4096;

    /// <summary>Computes the layout.</summary>
    /// <param name="dataBackingSize">Bytes of the data backing.</param>
    /// <param name="externalSize">Bytes of the external metadata device, or null for internal metadata.</param>
    /// <param name="alExtents">Activity-log extents.</param>
    /// <returns>The layout.</returns>
    /// <exception cref="MetadataException">The backing (or metadata device) is too small.</exception>
    public static MetadataLayout Compute(long dataBackingSize, long? externalSize, int alExtents)
    {
        var alCopy = ActivityLog.CopySize(alExtents);
        // Sized for the whole backing: for internal metadata slightly more than needed, never less.
        var bitmapSize = RoundUp(QuickSyncBitmap.BytesFor(dataBackingSize), Block);
        var mdSize = 2L * Superblock.Size + 2L * alCopy + bitmapSize;
        if (externalSize is { } ext)
        {
            if (ext < mdSize)
            {
                throw new MetadataException($"the metadata device has {ext} bytes; {mdSize} are needed for a {dataBackingSize}-byte backing");
            }
            return new MetadataLayout(RoundDown(dataBackingSize, Block), 0, 2L * Superblock.Size, alCopy,
                2L * Superblock.Size + 2L * alCopy, bitmapSize, mdSize, External: true);
        }
        var mdStart = RoundDown(dataBackingSize - mdSize, Block);
        if (mdStart < Block)
        {
            throw new MetadataException($"the backing has {dataBackingSize} bytes; internal metadata needs {mdSize} bytes plus at least 4 KiB of data");
        }
        return new MetadataLayout(mdStart, mdStart + bitmapSize + 2L * alCopy, mdStart + bitmapSize, alCopy,
            mdStart, bitmapSize, dataBackingSize - mdStart, External: false);
    }

    internal static long RoundUp(long value, long to) => (value + to - 1) / to * to;

    internal static long RoundDown(long value, long to) => value / to * to;
}
