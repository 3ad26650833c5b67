namespace Tandem.Resources.Agents;

/// <summary>The outcome of a volume operation.</summary>
/// <param name="Success">True when it succeeded.</param>
/// <param name="Message">What happened, or why not.</param>
public sealed record VolumeActionResult(bool Success, string Message);
