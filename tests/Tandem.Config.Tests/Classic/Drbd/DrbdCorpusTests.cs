using System.Text.RegularExpressions;
using Xunit;
using Tandem.Config.Classic;

namespace Tandem.Config.Tests.Classic.Drbd;

/// <summary>
/// Every file in Corpus/drbd/broken starts with <c># expect: CODE LINE</c>; reading it must give
/// that error at that line of that file. Files in Corpus/drbd/valid must read with no error.
/// </summary>
public partial class DrbdCorpusTests
{
    private static string CorpusDir(string kind) => Path.Combine(AppContext.BaseDirectory, "Corpus", "drbd", kind);

    public static TheoryData<string> BrokenFiles() =>
        [.. Directory.EnumerateFiles(CorpusDir("broken"), "*.conf").Select(p => Path.GetFileName(p)!).Order(StringComparer.Ordinal)];

    public static TheoryData<string> ValidFiles() =>
        [.. Directory.EnumerateFiles(CorpusDir("valid"), "*.conf").Select(p => Path.GetFileName(p)!).Order(StringComparer.Ordinal)];

    [GeneratedRegex(@"^# expect: (DRBD\d{3}) (\d+)")]
    private static partial Regex ExpectLine();

    [Fact]
    public void The_corpus_is_there()
    {
        Assert.True(BrokenFiles().Count >= 25, "the broken corpus was not copied to the output directory");
        Assert.NotEmpty(ValidFiles());
    }

    [Theory]
    [MemberData(nameof(BrokenFiles))]
    public void Broken_file_gives_the_expected_error(string name)
    {
        var path = Path.Combine(CorpusDir("broken"), name);
        var match = ExpectLine().Match(File.ReadLines(path).First());
        Assert.True(match.Success, $"{name} has no '# expect: CODE LINE' first line");
        var code = match.Groups[1].Value;
        var line = int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        var bag = new DiagnosticBag();
        DrbdConfReader.Read(path, bag);
        var dump = string.Join("\n", bag.Items);
        Assert.True(bag.Items.Any(d => d.Severity == Severity.Error && d.Code == code && d.Line == line && d.File == path),
            $"expected error {code} at line {line} of {name}; got:\n{dump}");
        Assert.All(bag.Items.Where(d => d.Severity == Severity.Error), d => Assert.True(d.Line > 0 && d.Column > 0, d.ToString()));
    }

    [Theory]
    [MemberData(nameof(ValidFiles))]
    public void Valid_file_reads_without_errors(string name)
    {
        var bag = new DiagnosticBag();
        var resources = DrbdConfReader.Read(Path.Combine(CorpusDir("valid"), name), bag);
        Assert.False(bag.HasErrors, string.Join("\n", bag.Items));
        Assert.NotEmpty(resources);
    }
}
