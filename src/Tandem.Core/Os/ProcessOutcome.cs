namespace Tandem.Core.Os;

/// <summary>How a program run by <see cref="ChildProcessRunner"/> ended.</summary>
/// <param name="ExitCode">Its exit code; null when it was killed (timeout or cancellation) or could not start.</param>
/// <param name="Output">Standard output and error, interleaved, trimmed (standard output only with <see cref="ProcessRequest.SeparateErrorOutput"/>).</param>
public sealed record ProcessOutcome(int? ExitCode, string Output)
{
    /// <summary>True when it ran past its timeout and its process group was killed.</summary>
    public bool TimedOut { get; init; }

    /// <summary>True when the caller cancelled it and its process group was killed.</summary>
    public bool Cancelled { get; init; }

    /// <summary>Standard error, trimmed, when <see cref="ProcessRequest.SeparateErrorOutput"/> kept it apart; else empty.</summary>
    public string Error { get; init; } = "";

    /// <summary>True when it ran to its end with exit code 0.</summary>
    public bool Succeeded => ExitCode == 0;

    /// <summary>Why it could not start, when it could not.</summary>
    public string? StartError { get; init; }
}
