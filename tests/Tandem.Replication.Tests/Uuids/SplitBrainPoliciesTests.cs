using Tandem.Replication.Uuids;
using Xunit;

namespace Tandem.Replication.Tests.Uuids;

public sealed class SplitBrainPoliciesTests
{
    private static readonly UuidCompareResult s_sb = new(SyncDecision.SplitBrainRecoverable, 90, "bitmap-both");

    private static UuidSide Side(long dirty, bool primary = false, bool wasPrimary = false, bool discard = false) =>
        new(new GenerationUuids(0xB000, wasPrimary ? 0xA001UL : 0xA000UL, 0, 0), IsPrimary: primary, DirtyBlocks: dirty, DiscardMyData: discard);

    [Theory]
    [InlineData("disconnect", 5, 0, SyncAction.Disconnect)]
    [InlineData("discard-zero-changes", 5, 0, SyncAction.Source)]
    [InlineData("discard-zero-changes", 0, 5, SyncAction.Target)]
    [InlineData("discard-zero-changes", 5, 5, SyncAction.Disconnect)]
    [InlineData("discard-least-changes", 3, 7, SyncAction.Target)]
    [InlineData("discard-least-changes", 7, 3, SyncAction.Source)]
    [InlineData("discard-local", 7, 3, SyncAction.Target)]
    [InlineData("discard-remote", 3, 7, SyncAction.Source)]
    [InlineData("discard-node-alpha", 3, 7, SyncAction.Target)]
    [InlineData("discard-node-beta", 3, 7, SyncAction.Source)]
    public void Zero_primaries(string policy, long selfDirty, long peerDirty, SyncAction expected)
    {
        var plan = new SplitBrainPolicies(policy).Plan(s_sb, Side(selfDirty), Side(peerDirty), "alpha", false);
        Assert.Equal(expected, plan.Action);
        Assert.True(plan.SplitBrain);
    }

    [Fact]
    public void Least_changes_tie_makes_the_token_holder_target_and_the_other_source()
    {
        var p = new SplitBrainPolicies("discard-least-changes");
        Assert.Equal(SyncAction.Target, p.Plan(s_sb, Side(4), Side(4), "a", resolveConflicts: true).Action);
        Assert.Equal(SyncAction.Source, p.Plan(s_sb, Side(4), Side(4), "b", resolveConflicts: false).Action);
    }

    [Theory]
    [InlineData("discard-younger-primary", true, SyncAction.Source)]
    [InlineData("discard-younger-primary", false, SyncAction.Target)]
    [InlineData("discard-older-primary", true, SyncAction.Target)]
    public void Younger_and_older_primary_use_bit_0_of_the_bitmap_uuid(string policy, bool selfWasPrimary, SyncAction expected)
    {
        var plan = new SplitBrainPolicies(policy).Plan(s_sb, Side(1, wasPrimary: selfWasPrimary), Side(1, wasPrimary: !selfWasPrimary), "a", false);
        Assert.Equal(expected, plan.Action);
    }

    [Theory]
    [InlineData("disconnect", SyncAction.Disconnect)]
    [InlineData("discard-secondary", SyncAction.Source)]
    [InlineData("consensus", SyncAction.Source)] // 0pri says the secondary (peer, fewer changes) loses
    [InlineData("violently-as0p", SyncAction.Source)]
    public void One_primary(string policy, SyncAction expected)
    {
        var p = new SplitBrainPolicies("discard-least-changes", policy);
        Assert.Equal(expected, p.Plan(s_sb, Side(9, primary: true), Side(2), "a", false).Action);
    }

    [Fact]
    public void Consensus_refuses_to_discard_the_primary()
    {
        var p = new SplitBrainPolicies("discard-least-changes", "consensus");
        Assert.Equal(SyncAction.Disconnect, p.Plan(s_sb, Side(1, primary: true), Side(9), "a", false).Action);
    }

    [Fact]
    public void Call_pri_lost_marks_the_losing_primary()
    {
        var p = new SplitBrainPolicies("discard-least-changes", "disconnect", "call-pri-lost-after-sb");
        var plan = p.Plan(s_sb, Side(1, primary: true), Side(9, primary: true), "a", false);
        Assert.Equal(SyncAction.Target, plan.Action);
        Assert.True(plan.PrimaryLost);
    }

    [Fact]
    public void Unresolved_split_brain_goes_standalone_unless_one_side_discards_its_data()
    {
        var p = new SplitBrainPolicies();
        var unresolved = p.Plan(s_sb, Side(3), Side(4), "a", false);
        Assert.Equal(SyncAction.Disconnect, unresolved.Action);
        Assert.Contains("Split-Brain detected but unresolved", unresolved.Reason);
        Assert.Equal(SyncAction.Target, p.Plan(s_sb, Side(3, discard: true), Side(4), "a", false).Action);
        Assert.Equal(SyncAction.Source, p.Plan(s_sb, Side(3), Side(4, discard: true), "a", false).Action);
        var history = new UuidCompareResult(SyncDecision.SplitBrainDisconnect, 100, "history-both");
        var resolved = p.Plan(history, Side(3, discard: true), Side(4), "a", false);
        Assert.Equal((SyncAction.Target, true), (resolved.Action, resolved.Full));
    }

    [Fact]
    public void Exactly_one_inconsistent_side_decides_the_direction_and_unrelated_data_disconnects()
    {
        var p = new SplitBrainPolicies();
        var u = new GenerationUuids(0xA000, 0, 0, 0);
        var plan = p.Plan(new UuidCompareResult(SyncDecision.NoSync, 40, "reconnected"), new UuidSide(u, Inconsistent: true), new UuidSide(u), "a", false);
        Assert.Equal((SyncAction.Target, true), (plan.Action, plan.Full));
        Assert.Equal(SyncAction.Disconnect, p.Plan(new UuidCompareResult(SyncDecision.UnrelatedData, -1000, "unrelated"), new UuidSide(u), new UuidSide(u), "a", false).Action);
    }

    [Fact]
    public void Unknown_policy_names_are_reported()
    {
        Assert.Equal(3, new SplitBrainPolicies("nope", "nah", "never").Validate().Count);
        Assert.Empty(new SplitBrainPolicies("discard-node-alpha", "consensus", "violently-as0p").Validate());
    }
}
