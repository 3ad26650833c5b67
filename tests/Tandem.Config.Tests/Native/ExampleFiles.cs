using Tandem.Config.Native;
using Tandem.Core.Model;
using Xunit;

namespace Tandem.Config.Tests.Native;

/// <summary>Finds the repository's files (examples/, the corpus) from the test binary's directory.</summary>
public static class ExampleFiles
{
    public static string RepoRoot { get; } = FindRoot();

    public static string NativeExample(string file) => Path.Combine(RepoRoot, "examples", "native", file);

    public static string CorpusDirectory => Path.Combine(RepoRoot, "tests", "Tandem.Config.Tests", "Corpus", "native");

    /// <summary>Reads an example without the mode check (a git checkout cannot keep mode 600) and asserts it is clean.</summary>
    public static ClusterSpec Read(string file)
    {
        var diagnostics = new DiagnosticBag();
        var spec = NativeConfigReader.Read(NativeExample(file), new ConfigOptions { SkipKeyFileModeCheck = true }, diagnostics);
        Assert.True(diagnostics.Items.Count == 0, $"{file}: {string.Join("\n", diagnostics.Items)}");
        return spec;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Tandem.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Tandem.slnx not found above " + AppContext.BaseDirectory);
    }
}
