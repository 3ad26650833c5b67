namespace Tandem.Cli.Output;

/// <summary>A frame of <c>tandem status --watch --json</c> while the daemon does not answer.</summary>
/// <param name="Unreachable">Why it cannot be reached.</param>
/// <param name="Time">When the frame was drawn (local time, to the second).</param>
public sealed record UnreachableFrame(string Unreachable, string Time);
