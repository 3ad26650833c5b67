namespace Tandem.Resources.Placement;

/// <summary>Publish an event for operators (the event log; never an input to a decision).</summary>
/// <param name="Kind">The event kind (<c>group.failback</c>).</param>
/// <param name="Subject">What it is about (a group or node name).</param>
/// <param name="Reason">Why, in an operator's words.</param>
/// <param name="Data">Structured details, or null.</param>
public sealed record PublishEvent(string Kind, string Subject, string Reason, IReadOnlyDictionary<string, string>? Data = null) : PlacementCommand;
