using Tandem.Core.Model;

namespace Tandem.Config.Classic.Drbd;

/// <summary>The text entry point of the drbd.conf reader: no disk access unless the callbacks do it.</summary>
public static class DrbdConf
{
    /// <summary>Reads drbd.conf text into resources.</summary>
    /// <param name="text">The text of the top-level file.</param>
    /// <param name="fileName">Its name, for diagnostics and for resolving relative includes.</param>
    /// <param name="diagnostics">Receives every finding.</param>
    /// <param name="readInclude">Reads an included file; returns null when it does not exist. Null: includes read nothing.</param>
    /// <returns>The resources; partial when there were errors.</returns>
    public static IReadOnlyList<ReplicatedResourceSpec> Parse(string text, string fileName, DiagnosticBag diagnostics, Func<string, string?>? readInclude) =>
        Parse(text, fileName, diagnostics, readInclude, null);

    /// <summary>Reads drbd.conf text into resources, expanding include globs through <paramref name="listDirectory"/>.</summary>
    /// <param name="text">The text of the top-level file.</param>
    /// <param name="fileName">Its name, for diagnostics and for resolving relative includes.</param>
    /// <param name="diagnostics">Receives every finding.</param>
    /// <param name="readInclude">Reads an included file; returns null when it does not exist.</param>
    /// <param name="listDirectory">Lists the file names in a directory; null when it does not exist. Null: globs match nothing.</param>
    /// <returns>The resources; partial when there were errors.</returns>
    public static IReadOnlyList<ReplicatedResourceSpec> Parse(
        string text,
        string fileName,
        DiagnosticBag diagnostics,
        Func<string, string?>? readInclude,
        Func<string, IEnumerable<string>?>? listDirectory)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fileName);
        ArgumentNullException.ThrowIfNull(diagnostics);
        var before = diagnostics.Items.Count;
        var statements = DrbdParser.Parse(text, fileName, diagnostics, readInclude, listDirectory);
        // A file cut short by a missing '}' would also be reported as missing hosts and
        // statements: noise that hides the one real error.
        var truncated = diagnostics.Items.Skip(before).Any(d => d.Code is DrbdCodes.UnbalancedBraces or DrbdCodes.NestingTooDeep);
        return new DrbdModelBuilder(diagnostics) { CheckCompleteness = !truncated }.Build(statements);
    }
}
