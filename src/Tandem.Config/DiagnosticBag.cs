namespace Tandem.Config;

/// <summary>Collects the findings of one configuration load; readers add to it and go on where they can.</summary>
public sealed class DiagnosticBag
{
    private readonly List<Diagnostic> _items = [];

    /// <summary>Every finding so far, in the order found.</summary>
    public IReadOnlyList<Diagnostic> Items => _items;

    /// <summary>True when at least one finding is an error.</summary>
    public bool HasErrors => _items.Exists(d => d.Severity == Severity.Error);

    /// <summary>Adds a finding.</summary>
    /// <param name="diagnostic">The finding.</param>
    public void Add(Diagnostic diagnostic) => _items.Add(diagnostic);

    /// <summary>Adds an error.</summary>
    /// <param name="code">The stable code.</param>
    /// <param name="file">The file.</param>
    /// <param name="line">The 1-based line, or 0.</param>
    /// <param name="column">The 1-based column, or 0.</param>
    /// <param name="message">What is wrong.</param>
    /// <param name="hint">How to fix it, or null.</param>
    public void Error(string code, string file, int line, int column, string message, string? hint = null) =>
        Add(new Diagnostic(Severity.Error, code, file, line, column, message) { Hint = hint });

    /// <summary>Adds a warning.</summary>
    /// <param name="code">The stable code.</param>
    /// <param name="file">The file.</param>
    /// <param name="line">The 1-based line, or 0.</param>
    /// <param name="column">The 1-based column, or 0.</param>
    /// <param name="message">What is probably wrong.</param>
    /// <param name="hint">How to fix it, or null.</param>
    public void Warning(string code, string file, int line, int column, string message, string? hint = null) =>
        Add(new Diagnostic(Severity.Warning, code, file, line, column, message) { Hint = hint });

    /// <summary>Adds a note about something accepted but not acted on.</summary>
    /// <param name="code">The stable code.</param>
    /// <param name="file">The file.</param>
    /// <param name="line">The 1-based line, or 0.</param>
    /// <param name="column">The 1-based column, or 0.</param>
    /// <param name="message">What is not acted on, and why.</param>
    public void Info(string code, string file, int line, int column, string message) =>
        Add(new Diagnostic(Severity.Info, code, file, line, column, message));
}
