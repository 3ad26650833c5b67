namespace Tandem.Replication.Uuids;

/// <summary>
/// The generation-UUID compare rules of drbd.md §3.3 (DRBD 8.4 numbering, DRBD 9 names), as a
/// pure function: the first rule that matches decides.
/// </summary>
public static class UuidComparer
{
    /// <summary>Compares this node's UUIDs with the peer's.</summary>
    /// <param name="self">This node.</param>
    /// <param name="peer">The peer.</param>
    /// <param name="resolveConflicts">This node holds the tie-breaker (decided at connect).</param>
    /// <returns>The decision and its rule.</returns>
    public static UuidCompareResult Compare(UuidSide self, UuidSide peer, bool resolveConflicts)
    {
        var s = Masked(self.Uuids);
        var p = Masked(peer.Uuids);
        const ulong jc = GenerationUuids.JustCreated;

        // 0 (no metadata UUID) is treated as just-created on both sides, so that the decision is
        // the mirror image from the peer's side (8.4 would make two empty sides both targets).
        if (s.Current is jc or 0 && p.Current is jc or 0)
        {
            return new(SyncDecision.NoSync, 10, "just-created-both");
        }
        if (s.Current is jc or 0)
        {
            return new(SyncDecision.FullTarget, 20, "just-created-self");
        }
        if (p.Current is jc or 0)
        {
            return new(SyncDecision.FullSource, 30, "just-created-peer");
        }
        if (s.Current == p.Current)
        {
            if (p.Bitmap == 0 && s.Bitmap != 0)
            {
                // The peer finished a resync whose end this source never saw.
                return s.Bitmap == p.History0
                    ? new(SyncDecision.BitmapSource, 34, "missed-finish-self-repaired")
                    : new(SyncDecision.BitmapSource, 36, "missed-finish-self");
            }
            if (s.Bitmap == 0 && p.Bitmap != 0)
            {
                return p.Bitmap == s.History0
                    ? new(SyncDecision.BitmapTarget, 35, "missed-finish-peer-repaired")
                    : new(SyncDecision.BitmapTarget, 37, "missed-finish-peer");
            }
            if (!self.CrashedPrimary && !peer.CrashedPrimary)
            {
                return new(SyncDecision.NoSync, 40, "reconnected");
            }
            // Someone crashed while Primary: its AL-covered blocks may differ.
            if (self.IsPrimary != peer.IsPrimary)
            {
                return new(self.IsPrimary ? SyncDecision.BitmapSource : SyncDecision.BitmapTarget, 41, "crashed-primary-current-primary");
            }
            if (self.CrashedPrimary && !peer.CrashedPrimary)
            {
                return new(SyncDecision.BitmapSource, 40, "crashed-primary-self");
            }
            if (peer.CrashedPrimary && !self.CrashedPrimary)
            {
                return new(SyncDecision.BitmapTarget, 40, "crashed-primary-peer");
            }
            return new(resolveConflicts ? SyncDecision.BitmapSource : SyncDecision.BitmapTarget, 40, "crashed-primary-both");
        }
        if (p.Bitmap != 0 && p.Bitmap == s.Current)
        {
            return new(SyncDecision.BitmapTarget, 50, "bitmap-peer");
        }
        if (p.History0 != 0 && p.History0 == s.Current && p.Bitmap == s.Current + GenerationUuids.NewBitmapOffset)
        {
            return new(SyncDecision.BitmapTarget, 51, "missed-start-peer");
        }
        if (s.Current == p.History0 || s.Current == p.History1)
        {
            return new(SyncDecision.FullTarget, 60, "history-peer");
        }
        if (s.Bitmap != 0 && s.Bitmap == p.Current)
        {
            return new(SyncDecision.BitmapSource, 70, "bitmap-self");
        }
        if (s.History0 != 0 && s.History0 == p.Current && s.Bitmap == p.Current + GenerationUuids.NewBitmapOffset)
        {
            return new(SyncDecision.BitmapSource, 71, "missed-start-self");
        }
        if (p.Current == s.History0 || p.Current == s.History1)
        {
            return new(SyncDecision.FullSource, 80, "history-self");
        }
        if (s.Bitmap != 0 && s.Bitmap == p.Bitmap)
        {
            return new(SyncDecision.SplitBrainRecoverable, 90, "bitmap-both");
        }
        foreach (var a in new[] { s.History0, s.History1 })
        {
            if (a != 0 && (a == p.History0 || a == p.History1))
            {
                return new(SyncDecision.SplitBrainDisconnect, 100, "history-both");
            }
        }
        return new(SyncDecision.UnrelatedData, -1000, "unrelated");
    }

    private static GenerationUuids Masked(GenerationUuids u) => new(
        GenerationUuids.Mask(u.Current), GenerationUuids.Mask(u.Bitmap), GenerationUuids.Mask(u.History0), GenerationUuids.Mask(u.History1));
}
