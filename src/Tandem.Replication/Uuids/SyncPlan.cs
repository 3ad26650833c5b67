namespace Tandem.Replication.Uuids;

/// <summary>The outcome of the sync handshake.</summary>
/// <param name="Action">What to do.</param>
/// <param name="Full">Every block is to be synced (|r| = 2, or a resolved history-only split brain).</param>
/// <param name="SplitBrain">A split brain was detected (resolved or not).</param>
/// <param name="PrimaryLost">This node is Primary and lost a split-brain resolution (call-pri-lost-after-sb).</param>
/// <param name="Reason">Why, for the log and the event.</param>
public readonly record struct SyncPlan(SyncAction Action, bool Full, bool SplitBrain, bool PrimaryLost, string Reason);
