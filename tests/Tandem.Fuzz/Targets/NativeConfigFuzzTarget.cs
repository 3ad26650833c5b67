using System.Text;
using Tandem.Config;
using Tandem.Config.Native;

namespace Tandem.Fuzz.Targets;

/// <summary>
/// The native reader on arbitrary bytes (decoded as UTF-8, as a file would be): it must return with
/// diagnostics, never throw. When the input is accepted, what the writer makes of the model must be
/// accepted again and give the same text: a round-trip failure is a finding too.
/// </summary>
public sealed class NativeConfigFuzzTarget : IFuzzTarget
{
    private static readonly ConfigOptions s_options = new() { AllowInsecureAuth = true, SkipKeyFileModeCheck = true };

    /// <inheritdoc/>
    public string Name => "toml";

    /// <inheritdoc/>
    public void Run(ReadOnlySpan<byte> input)
    {
        var text = Encoding.UTF8.GetString(input);
        var diagnostics = new DiagnosticBag();
        var spec = NativeConfigReader.Parse(text, "fuzz.toml", s_options, diagnostics);
        if (diagnostics.HasErrors)
        {
            return;
        }
        var written = NativeConfigWriter.Write(spec);
        if (written.Length > NativeConfigReader.MaxFileBytes)
        {
            return; // the writer spells defaults out: a file near the limit can grow past it
        }
        var again = new DiagnosticBag();
        var back = NativeConfigReader.Parse(written, "fuzz.toml", s_options, again);
        if (again.HasErrors)
        {
            throw new InvalidOperationException("the writer's output was refused: " + string.Join("; ", again.Items));
        }
        if (NativeConfigWriter.Write(back) != written)
        {
            throw new InvalidOperationException("writing the model read back from the writer's output changed it");
        }
    }
}
