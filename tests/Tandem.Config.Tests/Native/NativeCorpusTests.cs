using System.Globalization;
using Tandem.Config.Native;
using Xunit;

namespace Tandem.Config.Tests.Native;

/// <summary>Every broken file of Corpus/native gives exactly the findings its header expects.</summary>
public class NativeCorpusTests
{
    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.EnumerateFiles(ExampleFiles.CorpusDirectory, "*.toml").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(f));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Broken_file_gives_the_expected_code_and_line(string file)
    {
        var path = Path.Combine(ExampleFiles.CorpusDirectory, file);
        var expected = File.ReadLines(path)
            .TakeWhile(l => l.StartsWith('#'))
            .Where(l => l.StartsWith("# expect: ", StringComparison.Ordinal))
            .Select(l => l["# expect: ".Length..].Split(' '))
            .Select(p => (Code: p[0], Line: int.Parse(p[1], CultureInfo.InvariantCulture)))
            .ToList();
        Assert.NotEmpty(expected);

        var diagnostics = new DiagnosticBag();
        NativeConfigReader.Read(path, new ConfigOptions { SkipKeyFileModeCheck = true }, diagnostics);
        var actual = diagnostics.Items.Select(d => (d.Code, d.Line)).ToList();
        Assert.True(expected.SequenceEqual(actual), $"{file}: expected {string.Join(", ", expected)}; got:\n{string.Join("\n", diagnostics.Items)}");
        Assert.All(diagnostics.Items, d => Assert.Equal(path, d.File));
    }

    [Fact]
    public void The_corpus_is_not_empty() => Assert.True(Files().Count >= 20);
}
