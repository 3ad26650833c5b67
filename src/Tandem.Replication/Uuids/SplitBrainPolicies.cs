namespace Tandem.Replication.Uuids;

/// <summary>
/// The automatic split-brain recovery policies (drbd.md §5.1: after-sb-0pri/1pri/2pri) and the
/// post-processing of the compare result (drbd.md §3.3), as pure functions.
/// </summary>
/// <param name="ZeroPrimaries">after-sb-0pri: disconnect, discard-younger-primary, discard-older-primary, discard-zero-changes, discard-least-changes, discard-local, discard-remote, discard-node-NAME.</param>
/// <param name="OnePrimary">after-sb-1pri: disconnect, consensus, discard-secondary, call-pri-lost-after-sb, violently-as0p.</param>
/// <param name="TwoPrimaries">after-sb-2pri: disconnect, call-pri-lost-after-sb, violently-as0p.</param>
public sealed record SplitBrainPolicies(string ZeroPrimaries = "disconnect", string OnePrimary = "disconnect", string TwoPrimaries = "disconnect")
{
    private static readonly string[] s_zero = ["disconnect", "discard-younger-primary", "discard-older-primary", "discard-zero-changes", "discard-least-changes", "discard-local", "discard-remote"];
    private static readonly string[] s_one = ["disconnect", "consensus", "discard-secondary", "call-pri-lost-after-sb", "violently-as0p"];
    private static readonly string[] s_two = ["disconnect", "call-pri-lost-after-sb", "violently-as0p"];

    /// <summary>Checks the policy names; returns a message for each unknown one.</summary>
    /// <returns>The problems, empty when valid.</returns>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!s_zero.Contains(ZeroPrimaries) && !ZeroPrimaries.StartsWith("discard-node-", StringComparison.Ordinal))
        {
            errors.Add($"after-sb-0pri '{ZeroPrimaries}' is not one of {string.Join(", ", s_zero)}, discard-node-NAME");
        }
        if (!s_one.Contains(OnePrimary))
        {
            errors.Add($"after-sb-1pri '{OnePrimary}' is not one of {string.Join(", ", s_one)}");
        }
        if (!s_two.Contains(TwoPrimaries))
        {
            errors.Add($"after-sb-2pri '{TwoPrimaries}' is not one of {string.Join(", ", s_two)}");
        }
        return errors;
    }

    /// <summary>
    /// Applies the policy for the number of current Primaries to a split brain. Returns
    /// <see cref="SyncAction.Source"/> or <see cref="SyncAction.Target"/> for this node, or
    /// <see cref="SyncAction.Disconnect"/>.
    /// </summary>
    /// <param name="self">This node.</param>
    /// <param name="peer">The peer.</param>
    /// <param name="selfName">This node's name (for discard-node-NAME).</param>
    /// <param name="resolveConflicts">This node holds the tie-breaker.</param>
    /// <param name="primaryLost">Set when this node is Primary and was discarded under call-pri-lost-after-sb.</param>
    /// <returns>The action and the policy that decided.</returns>
    public (SyncAction Action, string Why) Recover(UuidSide self, UuidSide peer, string selfName, bool resolveConflicts, out bool primaryLost)
    {
        primaryLost = false;
        var primaries = (self.IsPrimary ? 1 : 0) + (peer.IsPrimary ? 1 : 0);
        if (primaries == 0)
        {
            return ZeroPri(self, peer, selfName, resolveConflicts);
        }
        var policy = primaries == 1 ? OnePrimary : TwoPrimaries;
        var zero = ZeroPri(self, peer, selfName, resolveConflicts);
        switch (policy)
        {
            case "consensus":
                // Accept the 0pri verdict only if it discards the Secondary.
                var secondaryLoses = zero.Action == (self.IsPrimary ? SyncAction.Source : SyncAction.Target);
                return secondaryLoses ? (zero.Action, $"after-sb-1pri consensus with {zero.Why}") : (SyncAction.Disconnect, $"after-sb-1pri consensus: {zero.Why} would discard the Primary");
            case "discard-secondary":
                return (self.IsPrimary ? SyncAction.Source : SyncAction.Target, "after-sb-1pri discard-secondary");
            case "call-pri-lost-after-sb":
                primaryLost = self.IsPrimary && zero.Action == SyncAction.Target;
                return (zero.Action, $"after-sb-{primaries}pri call-pri-lost-after-sb with {zero.Why}");
            case "violently-as0p":
                return (zero.Action, $"after-sb-{primaries}pri violently-as0p with {zero.Why}");
            default:
                return (SyncAction.Disconnect, $"after-sb-{primaries}pri disconnect");
        }
    }

    /// <summary>The full post-processing of a compare result (drbd.md §3.3 steps 1–5).</summary>
    /// <param name="result">The compare result.</param>
    /// <param name="self">This node.</param>
    /// <param name="peer">The peer.</param>
    /// <param name="selfName">This node's name.</param>
    /// <param name="resolveConflicts">This node holds the tie-breaker.</param>
    /// <returns>The plan.</returns>
    public SyncPlan Plan(UuidCompareResult result, UuidSide self, UuidSide peer, string selfName, bool resolveConflicts)
    {
        var r = result.Decision;
        var full = r is SyncDecision.FullSource or SyncDecision.FullTarget;
        var splitBrain = r is SyncDecision.SplitBrainRecoverable or SyncDecision.SplitBrainDisconnect;
        var primaryLost = false;
        var why = result.ToString();
        if (r == SyncDecision.UnrelatedData)
        {
            return new(SyncAction.Disconnect, false, false, false, $"{why}: unrelated data, aborting");
        }
        // Step 1: exactly one side Inconsistent decides the direction.
        if (self.Inconsistent != peer.Inconsistent && !splitBrain)
        {
            var target = self.Inconsistent;
            if (r == SyncDecision.NoSync)
            {
                full = true; // nothing tells which blocks differ
            }
            return new(target ? SyncAction.Target : SyncAction.Source, full, false, false, $"{why}; disk states override: {(target ? "self" : "peer")} is Inconsistent");
        }
        SyncAction action;
        if (r == SyncDecision.SplitBrainRecoverable)
        {
            var (a, policyWhy) = Recover(self, peer, selfName, resolveConflicts, out primaryLost);
            action = a;
            why = $"{why}; split brain; {policyWhy}";
        }
        else if (r == SyncDecision.SplitBrainDisconnect)
        {
            action = SyncAction.Disconnect;
            why = $"{why}; split brain with only common history";
        }
        else
        {
            action = r switch
            {
                SyncDecision.BitmapSource or SyncDecision.FullSource => SyncAction.Source,
                SyncDecision.BitmapTarget or SyncDecision.FullTarget => SyncAction.Target,
                _ => SyncAction.None,
            };
        }
        if (splitBrain && action == SyncAction.Disconnect && self.DiscardMyData != peer.DiscardMyData)
        {
            action = self.DiscardMyData ? SyncAction.Target : SyncAction.Source;
            why = $"{why}; resolved by --discard-my-data on {(self.DiscardMyData ? "this node" : "the peer")}";
        }
        if (splitBrain && action == SyncAction.Disconnect)
        {
            return new(SyncAction.Disconnect, false, true, false, $"{why}; Split-Brain detected but unresolved, dropping connection");
        }
        if (r == SyncDecision.SplitBrainDisconnect)
        {
            full = true; // only history in common: no bitmap describes the difference
        }
        // Step 5: never sync from an Inconsistent disk.
        if (action == SyncAction.Source && self.Inconsistent)
        {
            return new(SyncAction.Disconnect, false, splitBrain, false, $"{why}; refusing to be sync source with an Inconsistent disk");
        }
        if (action == SyncAction.Target && self.IsPrimary && !self.Inconsistent && !splitBrain)
        {
            return new(SyncAction.Disconnect, false, false, false, $"{why}; this node is Primary with good data and would become sync target (rr-conflict disconnect)");
        }
        return new(action, full, splitBrain, primaryLost, why);
    }

    private (SyncAction Action, string Why) ZeroPri(UuidSide self, UuidSide peer, string selfName, bool resolveConflicts)
    {
        var policy = ZeroPrimaries;
        switch (policy)
        {
            case "discard-younger-primary":
            case "discard-older-primary":
                {
                    // Bit 0 of the bitmap UUID remembers whether the node was Primary at the split.
                    var selfWas = (self.Uuids.Bitmap & 1) != 0;
                    var peerWas = (peer.Uuids.Bitmap & 1) != 0;
                    if (selfWas != peerWas)
                    {
                        var keepSelf = policy == "discard-younger-primary" ? selfWas : peerWas;
                        return (keepSelf ? SyncAction.Source : SyncAction.Target, $"after-sb-0pri {policy}");
                    }
                    return LeastChanges(self, peer, resolveConflicts, $"after-sb-0pri {policy} (undecidable, least changes)");
                }
            case "discard-zero-changes":
                if (self.DirtyBlocks == 0 && peer.DirtyBlocks == 0)
                {
                    return (resolveConflicts ? SyncAction.Target : SyncAction.Source, "after-sb-0pri discard-zero-changes (neither wrote)");
                }
                if (self.DirtyBlocks == 0)
                {
                    return (SyncAction.Target, "after-sb-0pri discard-zero-changes (this node wrote nothing)");
                }
                if (peer.DirtyBlocks == 0)
                {
                    return (SyncAction.Source, "after-sb-0pri discard-zero-changes (the peer wrote nothing)");
                }
                return (SyncAction.Disconnect, "after-sb-0pri discard-zero-changes (both wrote)");
            case "discard-least-changes":
                return LeastChanges(self, peer, resolveConflicts, "after-sb-0pri discard-least-changes");
            case "discard-local":
                return (SyncAction.Target, "after-sb-0pri discard-local");
            case "discard-remote":
                return (SyncAction.Source, "after-sb-0pri discard-remote");
            default:
                if (policy.StartsWith("discard-node-", StringComparison.Ordinal))
                {
                    var victim = policy["discard-node-".Length..];
                    return (string.Equals(victim, selfName, StringComparison.OrdinalIgnoreCase) ? SyncAction.Target : SyncAction.Source, $"after-sb-0pri {policy}");
                }
                return (SyncAction.Disconnect, "after-sb-0pri disconnect");
        }
    }

    private static (SyncAction, string) LeastChanges(UuidSide self, UuidSide peer, bool resolveConflicts, string why)
    {
        if (self.DirtyBlocks != peer.DirtyBlocks)
        {
            return (self.DirtyBlocks < peer.DirtyBlocks ? SyncAction.Target : SyncAction.Source, why);
        }
        return (resolveConflicts ? SyncAction.Target : SyncAction.Source, $"{why} (tie, broken by the conflict token)");
    }
}
