namespace Tandem.Daemon.Status;

/// <summary>What a status section that failed to report shows instead.</summary>
/// <param name="Error">What failed.</param>
public sealed record SectionError(
    string Error);
