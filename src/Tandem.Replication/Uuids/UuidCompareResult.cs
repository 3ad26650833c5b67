namespace Tandem.Replication.Uuids;

/// <summary>A decision with the rule that made it, logged as <c>uuid_compare()=decision by rule=name</c>.</summary>
/// <param name="Decision">What to do.</param>
/// <param name="Rule">The 8.4 rule number (10 … 100, or -1000 for none).</param>
/// <param name="RuleName">The DRBD 9 style name of the rule.</param>
public readonly record struct UuidCompareResult(SyncDecision Decision, int Rule, string RuleName)
{
    /// <inheritdoc />
    public override string ToString() => $"uuid_compare()={Decision} by rule={RuleName} ({Rule})";
}
