namespace Tandem.Config.Native;

/// <summary>The state one read shares between the schema readers: where, with which options, and the findings.</summary>
internal sealed class NativeContext(string file, ConfigOptions options, DiagnosticBag diagnostics)
{
    public string File { get; } = file;

    public ConfigOptions Options { get; } = options;

    public DiagnosticBag Diagnostics { get; } = diagnostics;

    public void Error(string code, TomlLocation where, string message, string? hint = null) =>
        Diagnostics.Error(code, File, where.Line, where.Column, message, hint);

    public void Warning(string code, TomlLocation where, string message, string? hint = null) =>
        Diagnostics.Warning(code, File, where.Line, where.Column, message, hint);
}
