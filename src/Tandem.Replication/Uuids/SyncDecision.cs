namespace Tandem.Replication.Uuids;

/// <summary>What the generation-UUID comparison decides on connect (drbd.md §3.3 result codes).</summary>
public enum SyncDecision
{
    /// <summary>0: the data is the same generation; no resync.</summary>
    NoSync,

    /// <summary>+1: this node is sync source, for the blocks set in either bitmap.</summary>
    BitmapSource,

    /// <summary>−1: this node is sync target, for the blocks set in either bitmap.</summary>
    BitmapTarget,

    /// <summary>+2: this node is sync source for every block.</summary>
    FullSource,

    /// <summary>−2: this node is sync target for every block.</summary>
    FullTarget,

    /// <summary>+100: split brain that the after-sb policies may resolve (both sides started from the same generation).</summary>
    SplitBrainRecoverable,

    /// <summary>−100: split brain with only a common history: disconnect unless told which side to discard.</summary>
    SplitBrainDisconnect,

    /// <summary>−1000: the two sides share no generation at all.</summary>
    UnrelatedData,
}
