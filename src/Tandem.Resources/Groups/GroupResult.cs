namespace Tandem.Resources.Groups;

/// <summary>The result of a group operation.</summary>
/// <param name="Group">The group.</param>
/// <param name="Outcome">How it ended.</param>
/// <param name="Reason">Why, in an operator's words.</param>
/// <param name="FailedResource">The resource that failed, when one did.</param>
public sealed record GroupResult(string Group, GroupOutcome Outcome, string Reason, string? FailedResource = null);
