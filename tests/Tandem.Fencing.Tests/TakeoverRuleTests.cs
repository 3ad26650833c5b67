using Xunit;

namespace Tandem.Fencing.Tests;

/// <summary>The one takeover rule: fenced, left cleanly, or fencing disabled.</summary>
public sealed class TakeoverRuleTests
{
    [Theory]
    [InlineData(true, false, false, false, TakeoverStep.Allow, TakeoverBasis.LeftCleanly)]
    [InlineData(true, false, true, true, TakeoverStep.Allow, TakeoverBasis.LeftCleanly)]
    [InlineData(false, true, false, false, TakeoverStep.Allow, TakeoverBasis.Fenced)]
    [InlineData(false, false, true, true, TakeoverStep.Allow, TakeoverBasis.FencingDisabled)]
    [InlineData(false, false, false, true, TakeoverStep.FenceFirst, TakeoverBasis.Fenced)]
    [InlineData(false, false, false, false, TakeoverStep.Refuse, TakeoverBasis.NoDevice)]
    public void The_rule_allows_a_takeover_only_when_the_peer_left_cleanly_was_fenced_or_fencing_is_disabled(
        bool leftCleanly, bool fenced, bool disabled, bool canFence, TakeoverStep step, TakeoverBasis basis)
    {
        var ruling = TakeoverRule.Decide(new TakeoverFacts(leftCleanly, fenced, disabled, canFence));
        Assert.Equal(step, ruling.Step);
        Assert.Equal(basis, ruling.Basis);
    }
}
