using System.Text.RegularExpressions;
using Tandem.Config.Classic;
using Xunit;
using static Tandem.Config.Tests.Classic.ClassicTestFiles;

namespace Tandem.Config.Tests.Classic;

/// <summary>
/// Broken configurations in Corpus/heartbeat: each file says, in '# expect: CODE LINE' comments,
/// exactly which errors it must give. Every expected finding must be reported, and no other error.
/// </summary>
public sealed partial class CorpusTests
{
    public static TheoryData<string> Files =>
        new(Directory.EnumerateFiles(CorpusDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal)!);

    [Theory]
    [MemberData(nameof(Files))]
    public void Corpus_file_gives_exactly_the_expected_errors(string name)
    {
        var path = Path.Combine(CorpusDirectory, name);
        var expected = ExpectRegex().Matches(File.ReadAllText(path))
            .Select(m => (m.Groups[1].Value, int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)))
            .ToHashSet();
        Assert.NotEmpty(expected);
        var bag = new DiagnosticBag();
        switch (Path.GetExtension(name))
        {
            case ".hacf":
                HaCfReader.Read(path, Node1IsLocal, bag);
                break;
            case ".authkeys":
                AuthKeysReader.Read(path, new ConfigOptions { SkipKeyFileModeCheck = true }, bag);
                break;
            case ".haresources":
                HaResourcesReader.Read(path, SeedNodes, [], bag);
                break;
            default:
                Assert.Fail($"{name}: unknown corpus extension (use .hacf, .authkeys or .haresources)");
                break;
        }
        var all = bag.Items.Select(d => (d.Code, d.Line)).ToHashSet();
        var errors = bag.Items.Where(d => d.Severity == Severity.Error).Select(d => (d.Code, d.Line)).ToHashSet();
        Assert.True(expected.IsSubsetOf(all), $"{name}: expected {string.Join(", ", expected)}; got:\n{bag.Dump()}");
        Assert.True(errors.IsSubsetOf(expected), $"{name}: unexpected errors; got:\n{bag.Dump()}");
        Assert.All(bag.Items, d => Assert.Equal(path, d.File));
    }

    [GeneratedRegex(@"^# expect: (\w+) (\d+)$", RegexOptions.Multiline)]
    private static partial Regex ExpectRegex();
}

public sealed partial class DiagnosticCodeDocsTests
{
    [Fact]
    public void Every_code_the_readers_use_is_documented()
    {
        var root = Path.GetFullPath(Path.Combine(CorpusDirectory, "..", "..", "..", ".."));
        var docs = Path.Combine(root, "docs", "configuration-classic-heartbeat.md");
        var sources = Path.Combine(root, "src", "Tandem.Config", "Classic");
        if (!File.Exists(docs) || !Directory.Exists(sources))
        {
            Assert.Skip($"needs the source tree ({docs})");
        }
        var documented = File.ReadAllText(docs);
        var codes = Directory.EnumerateFiles(sources, "*.cs")
            .Where(f => !Path.GetFileName(f).StartsWith("Drbd", StringComparison.Ordinal))
            .SelectMany(f => CodeRegex().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value))
            .ToHashSet();
        Assert.True(codes.Count > 60, $"found only {codes.Count} codes");
        Assert.All(codes, c => Assert.Contains($"| {c} |", documented, StringComparison.Ordinal));
    }

    [GeneratedRegex("\"((?:HACF|AUTH|HARES)[0-9]{3})\"")]
    private static partial Regex CodeRegex();
}
