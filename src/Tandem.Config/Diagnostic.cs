namespace Tandem.Config;

/// <summary>How bad a configuration finding is.</summary>
public enum Severity
{
    /// <summary>The configuration cannot be used.</summary>
    Error,
    /// <summary>The configuration is used, but something is probably wrong or unsafe.</summary>
    Warning,
    /// <summary>Something Tandem accepts but does not act on.</summary>
    Info,
}

/// <summary>
/// One finding about a configuration file, located precisely enough for an editor to jump to it.
/// </summary>
/// <param name="Severity">How bad it is.</param>
/// <param name="Code">A stable code for scripts and documentation (for example <c>HACF012</c>).</param>
/// <param name="File">The file the finding is about.</param>
/// <param name="Line">The 1-based line, or 0 when the finding is about the whole file.</param>
/// <param name="Column">The 1-based column, or 0 when unknown.</param>
/// <param name="Message">What is wrong, and what was expected.</param>
public sealed record Diagnostic(Severity Severity, string Code, string File, int Line, int Column, string Message)
{
    /// <summary>How to fix it, when there is a useful suggestion.</summary>
    public string? Hint { get; init; }

    /// <summary>Formats the finding as compilers do: <c>file:line:col: error CODE: message (hint)</c>.</summary>
    /// <returns>The formatted line.</returns>
    public override string ToString()
    {
        var where = Line > 0 ? (Column > 0 ? $"{File}:{Line}:{Column}" : $"{File}:{Line}") : File;
        var sev = Severity switch { Severity.Error => "error", Severity.Warning => "warning", _ => "note" };
        return Hint is null ? $"{where}: {sev} {Code}: {Message}" : $"{where}: {sev} {Code}: {Message} (hint: {Hint})";
    }
}
