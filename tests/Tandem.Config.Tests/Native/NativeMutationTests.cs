using CsCheck;
using Tandem.Config.Native;
using Xunit;

namespace Tandem.Config.Tests.Native;

/// <summary>
/// In-process fuzzing: the examples with random edits (characters inserted or deleted, lines
/// dropped or repeated). The reader must never throw, and whatever it accepts must survive the
/// writer (the same checks as the 'toml' fuzz target of Tandem.Fuzz).
/// </summary>
public class NativeMutationTests
{
    private static readonly string[] s_examples =
        [File.ReadAllText(ExampleFiles.NativeExample("seed.toml")), File.ReadAllText(ExampleFiles.NativeExample("loopback.toml"))];

    private static readonly Gen<char> s_inserted = Gen.Char["[]{}=\"'#.,\n\\ 0123456789abcxyz_-\u0000\u00e9"];

    private static string Mutate(string text, int op, int position, char c)
    {
        var p = text.Length == 0 ? 0 : position % text.Length;
        var lines = text.Split('\n').ToList();
        var l = position % Math.Max(1, lines.Count);
        switch (op)
        {
            case 0: return text.Remove(p, Math.Min(1, text.Length - p));
            case 1: return text.Insert(p, c.ToString());
            case 2:
                lines.RemoveAt(l);
                return string.Join('\n', lines);
            case 3:
                lines.Insert(l, lines[l]);
                return string.Join('\n', lines);
            default:
                return text.Length == 0 ? text : text.Remove(p, Math.Min(text.Length - p, c % 17));
        }
    }

    private static readonly Gen<string> s_mutated =
        Gen.Select(Gen.Int[0, s_examples.Length - 1], Gen.Select(Gen.Int[0, 4], Gen.Int[0, 100_000], s_inserted).Array[1, 6],
            (e, edits) => edits.Aggregate(s_examples[e], (t, m) => Mutate(t, m.Item1, m.Item2, m.Item3)));

    [Fact]
    public void Edited_examples_never_crash_the_reader_and_accepted_ones_round_trip() =>
        s_mutated.Sample(text =>
        {
            var options = new ConfigOptions { AllowInsecureAuth = true, SkipKeyFileModeCheck = true };
            var diagnostics = new DiagnosticBag();
            var spec = NativeConfigReader.Parse(text, "m.toml", options, diagnostics);
            Assert.All(diagnostics.Items, d => Assert.True(d.Line >= 0 && d.Column >= 0));
            if (diagnostics.HasErrors)
            {
                return;
            }
            var back = NativeRoundTripTests.ReadBack(NativeConfigWriter.Write(spec), out var again);
            Assert.False(again.HasErrors, string.Join("\n", again.Items));
            SpecCanon.AssertEqual(spec, back, text);
        }, iter: 3000);

    private static readonly string[] s_tokens =
    [
        "[", "]", "[[", "]]", "{", "}", "=", ",", ".", "\n", " ", "\"", "'", "\"\"\"", "'''", "#", "\\", "\\u00e9",
        "1", "-7", "1.5", "1e400", "0x1F", "inf", "nan", "true", "false", "1979-05-27T07:32:00Z", "07:32", "\"2s\"", "\"100ms\"",
        "node", "name", "link", "kind", "\"ucast\"", "endpoint", "address", "\"127.0.0.1\"", "auth", "key", "index", "active",
        "method", "\"crc\"", "\"sha256\"", "secret", "group", "resource", "agent", "preferred_node", "\"a\"", "timing",
        "keepalive", "deadtime", "replicated", "host", "volume", "fencing", "disabled", "ping", "devices", "parameters",
    ];

    [Fact]
    public void Token_soup_never_crashes_the_reader() =>
        Gen.Int[0, s_tokens.Length - 1].Array[0, 80].Select(ix => string.Concat(ix.Select(i => s_tokens[i]))).Sample(text =>
        {
            var diagnostics = new DiagnosticBag();
            var spec = NativeConfigReader.Parse(text, "soup.toml", new ConfigOptions { AllowInsecureAuth = true, SkipKeyFileModeCheck = true }, diagnostics);
            if (!diagnostics.HasErrors)
            {
                var back = NativeRoundTripTests.ReadBack(NativeConfigWriter.Write(spec), out var again);
                Assert.False(again.HasErrors, string.Join("\n", again.Items));
                SpecCanon.AssertEqual(spec, back, text);
            }
        }, iter: 5000);
}
