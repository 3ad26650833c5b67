namespace Tandem.Core.Membership;

/// <summary>One peer in a <see cref="MembershipView"/>.</summary>
/// <param name="Node">The peer's name, as the configuration spells it.</param>
/// <param name="Status">Its membership.</param>
/// <param name="Generation">The run of it this node last heard (incarnation); 0 when never heard.</param>
/// <param name="Change">What changed for it in this view.</param>
/// <param name="Reason">Why it has its status, in an operator's words (the same text as the event that reports the change).</param>
public sealed record MemberView(string Node, MemberStatus Status, ulong Generation, MemberChange Change, string Reason)
{
    /// <summary>True when it is heard from (Up or Active).</summary>
    public bool IsAlive => Status is MemberStatus.Up or MemberStatus.Active;
}
