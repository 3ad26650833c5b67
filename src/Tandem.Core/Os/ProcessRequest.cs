namespace Tandem.Core.Os;

/// <summary>One program run by <see cref="ChildProcessRunner"/>.</summary>
/// <param name="FileName">The program.</param>
/// <param name="Arguments">Its arguments.</param>
/// <param name="Timeout">How long it may run before its whole process group is killed.</param>
public sealed record ProcessRequest(string FileName, IReadOnlyList<string> Arguments, TimeSpan Timeout)
{
    /// <summary>Variables added to (or replacing) the inherited environment.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Text written to the program's standard input, which is then closed; null gives an empty input.</summary>
    public string? StandardInput { get; init; }

    /// <summary>How much output is kept, in characters (the rest is cut).</summary>
    /// <value>64 KiB.</value>
    public int MaxOutputChars { get; init; } = 64 * 1024;

    /// <summary>Keeps standard error apart (in <see cref="ProcessOutcome.Error"/>) instead of interleaved with the output, for a tool whose output is parsed.</summary>
    public bool SeparateErrorOutput { get; init; }

    /// <summary>
    /// Whether the output is captured. False lets the program write where this process writes (a
    /// DRBD handler's messages reach the daemon's journal, as under drbdadm).
    /// </summary>
    /// <value>True.</value>
    public bool CaptureOutput { get; init; } = true;
}
