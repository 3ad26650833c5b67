namespace Tandem.Replication.Uuids;

/// <summary>One side's inputs to the comparison on connect.</summary>
/// <param name="Uuids">Its generation UUIDs.</param>
/// <param name="CrashedPrimary">It crashed while Primary (its AL was applied).</param>
/// <param name="IsPrimary">It is Primary now.</param>
/// <param name="Inconsistent">Its disk is Inconsistent (or worse).</param>
/// <param name="DirtyBlocks">Its bitmap's set-bit count.</param>
/// <param name="DiscardMyData">The operator asked to discard this side's data on split brain.</param>
public readonly record struct UuidSide(
    GenerationUuids Uuids, bool CrashedPrimary = false, bool IsPrimary = false, bool Inconsistent = false,
    long DirtyBlocks = 0, bool DiscardMyData = false);
