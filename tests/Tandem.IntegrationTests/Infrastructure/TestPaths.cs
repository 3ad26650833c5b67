using Xunit;

namespace Tandem.IntegrationTests.Infrastructure;

/// <summary>Where the repository and the shared seed files are.</summary>
internal static class TestPaths
{
    /// <summary>The folder that holds Tandem.slnx.</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>
    /// The seed's classic files: <c>shared/examples/classic</c> next to the repository (../shared from
    /// the root, or further up for a worktree), else the repository's own examples/classic.
    /// </summary>
    public static string SeedClassic()
    {
        for (var dir = new DirectoryInfo(RepositoryRoot); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "examples", "classic");
            if (File.Exists(Path.Combine(candidate, "ha.cf")))
            {
                return candidate;
            }
        }
        var own = Path.Combine(RepositoryRoot, "examples", "classic");
        if (File.Exists(Path.Combine(own, "ha.cf")))
        {
            return own;
        }
        Assert.Skip($"the seed's classic files were not found (looked for shared/examples/classic above {RepositoryRoot}, and examples/classic in it)");
        return "";
    }

    /// <summary>A fresh private directory with a short path (Unix socket paths must fit in 107 bytes).</summary>
    public static string NewTempDirectory(string prefix)
    {
        var path = Path.Combine("/tmp", prefix + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    /// <summary>Copies the seed into a fresh directory, with authkeys at the given mode.</summary>
    public static string CopySeed(UnixFileMode authkeysMode)
    {
        var source = SeedClassic();
        var target = NewTempDirectory("tandem-seed");
        foreach (var file in Directory.GetFiles(source))
        {
            var copy = Path.Combine(target, Path.GetFileName(file));
            File.Copy(file, copy);
            File.SetUnixFileMode(copy, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }
        File.SetUnixFileMode(Path.Combine(target, "authkeys"), authkeysMode);
        return target;
    }

    public static void DeleteQuietly(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
        }
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
        throw new InvalidOperationException($"no Tandem.slnx above {AppContext.BaseDirectory}");
    }
}
