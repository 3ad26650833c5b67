namespace Tandem.Daemon.Control;

/// <summary>The body of every error answer of the control API.</summary>
/// <param name="Error">What went wrong, for an operator.</param>
public sealed record ErrorDocument(string Error);
