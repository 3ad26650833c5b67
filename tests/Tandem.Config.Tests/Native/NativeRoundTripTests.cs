using CsCheck;
using Tandem.Config.Native;
using Tandem.Core.Model;
using Xunit;

namespace Tandem.Config.Tests.Native;

public class NativeRoundTripTests
{
    private static readonly ConfigOptions s_options = new() { AllowInsecureAuth = true, SkipKeyFileModeCheck = true };

    internal static ClusterSpec ReadBack(string text, out DiagnosticBag diagnostics)
    {
        diagnostics = new DiagnosticBag();
        return NativeConfigReader.Parse(text, "roundtrip.toml", s_options, diagnostics);
    }

    [Fact]
    public void Read_of_Write_gives_an_equal_model() =>
        SpecGenerators.Cluster.Sample(spec =>
        {
            var text = NativeConfigWriter.Write(spec);
            var back = ReadBack(text, out var diagnostics);
            var errors = diagnostics.Items.Where(d => d.Severity == Severity.Error).ToList();
            Assert.True(errors.Count == 0, $"the written text was refused:\n{string.Join("\n", errors)}\n--- text ---\n{text}");
            SpecCanon.AssertEqual(spec, back, "--- text ---\n" + text);
        }, iter: 400);

    [Fact]
    public void Writing_is_stable_after_one_round() =>
        SpecGenerators.Cluster.Sample(spec =>
        {
            var once = NativeConfigWriter.Write(spec);
            var twice = NativeConfigWriter.Write(ReadBack(once, out _) with { Sources = spec.Sources });
            Assert.Equal(once, twice);
        }, iter: 100);

    [Fact]
    public void The_header_says_the_file_holds_secrets_only_when_it_does()
    {
        var withSecret = new ClusterSpec
        {
            Nodes = [new NodeSpec("a")],
            Auth = new AuthSpec(1, [new AuthKey(1, AuthMethod.Sha256, "s3cret")]),
        };
        Assert.Contains("mode 600", NativeConfigWriter.Write(withSecret), StringComparison.Ordinal);
        Assert.DoesNotContain("mode 600", NativeConfigWriter.Write(withSecret with { Auth = null }), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("seed.toml")]
    [InlineData("loopback.toml")]
    public void Examples_survive_a_round_trip(string file)
    {
        var spec = ExampleFiles.Read(file);
        var back = ReadBack(NativeConfigWriter.Write(spec), out var diagnostics);
        Assert.Empty(diagnostics.Items);
        SpecCanon.AssertEqual(spec, back);
    }
}
