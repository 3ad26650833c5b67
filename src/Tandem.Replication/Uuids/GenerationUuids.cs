namespace Tandem.Replication.Uuids;

/// <summary>
/// The generation identifiers of a replica (drbd.md §3.1): the current data generation, the
/// generation the bitmap tracks changes against (0 while in sync), and two older generations,
/// newest first. Bit 0 of <see cref="Current"/> and <see cref="Bitmap"/> encodes "was Primary" and
/// is masked off in every comparison.
/// </summary>
/// <param name="Current">The current data generation.</param>
/// <param name="Bitmap">The generation the bitmap is relative to, or 0.</param>
/// <param name="History0">The newest older generation, or 0.</param>
/// <param name="History1">The next older generation, or 0.</param>
public readonly record struct GenerationUuids(ulong Current, ulong Bitmap, ulong History0, ulong History1)
{
    /// <summary>The current UUID of freshly created metadata (DRBD's UUID_JUST_CREATED).</summary>
    public const ulong JustCreated = 4;

    /// <summary>What a resync start adds to the bitmap UUID (DRBD's UUID_NEW_BM_OFFSET).</summary>
    public const ulong NewBitmapOffset = 1UL << 48;

    /// <summary>The tuple of fresh metadata.</summary>
    public static GenerationUuids Created => new(JustCreated, 0, 0, 0);

    /// <summary>A value with the role bit cleared, as every comparison uses it.</summary>
    /// <param name="uuid">A UUID.</param>
    /// <returns>The masked UUID.</returns>
    public static ulong Mask(ulong uuid) => uuid & ~1UL;

    /// <summary>Starts a new data generation: bitmap ← current (if no bitmap yet), current ← <paramref name="fresh"/>.</summary>
    /// <param name="fresh">A random value.</param>
    /// <returns>The new tuple.</returns>
    public GenerationUuids NewCurrent(ulong fresh)
    {
        fresh &= ~1UL;
        if (Bitmap == 0)
        {
            return this with { Bitmap = Current, Current = fresh };
        }
        // The bitmap already tracks an older generation: keep it (it still over-approximates),
        // push the superseded current into the history.
        return new GenerationUuids(fresh, Bitmap, Current, History0);
    }

    /// <summary>A finished resync or a clean reconnect: the bitmap generation moves into the history.</summary>
    /// <returns>The new tuple.</returns>
    public GenerationUuids ClearBitmap() =>
        Bitmap == 0 ? this : new GenerationUuids(Current, 0, Bitmap, History0);

    /// <inheritdoc />
    public override string ToString() => $"{Current:X16}:{Bitmap:X16}:{History0:X16}:{History1:X16}";
}
