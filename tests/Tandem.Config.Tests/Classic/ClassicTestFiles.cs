using System.Net;
using Tandem.Config;
using Tandem.Config.Classic;
using Tandem.Core.Model;
using Xunit;

namespace Tandem.Config.Tests.Classic;

/// <summary>A temporary Heartbeat directory, deleted on dispose.</summary>
internal sealed class HaDirectory : IDisposable
{
    public HaDirectory()
    {
        Path = Directory.CreateTempSubdirectory("tandem-hb-").FullName;
        ScriptDirectory = System.IO.Path.Combine(Path, "resource.d");
        InitDirectory = System.IO.Path.Combine(Path, "init.d");
        Directory.CreateDirectory(ScriptDirectory);
        Directory.CreateDirectory(InitDirectory);
    }

    public string Path { get; }

    public string ScriptDirectory { get; }

    public string InitDirectory { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>A copy of the seed's classic files with authkeys at mode 600.</summary>
    public static HaDirectory Seed()
    {
        var dir = new HaDirectory();
        foreach (var name in new[] { "ha.cf", "authkeys", "haresources" })
        {
            System.IO.File.Copy(System.IO.Path.Combine(ClassicTestFiles.SeedDirectory, name), dir.File(name));
        }
        dir.Mode("authkeys", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return dir;
    }

    public HaDirectory Write(string name, string text, UnixFileMode? mode = null)
    {
        System.IO.File.WriteAllText(File(name), text);
        if (mode is { } m)
        {
            Mode(name, m);
        }
        return this;
    }

    public void Mode(string name, UnixFileMode mode)
    {
        if (!OperatingSystem.IsWindows())
        {
            System.IO.File.SetUnixFileMode(File(name), mode);
        }
    }

    public string Script(string directory, string name, bool executable = true)
    {
        var path = System.IO.Path.Combine(directory, name);
        System.IO.File.WriteAllText(path, "#!/bin/sh\nexit 0\n");
        if (OperatingSystem.IsWindows())
        {
            return path;
        }
        System.IO.File.SetUnixFileMode(path, executable
            ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            : UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    public ConfigOptions Options(bool allowInsecure = false) => new()
    {
        HaDirectory = Path,
        IsLocalAddress = ClassicTestFiles.Node1IsLocal,
        ResourceScriptDirectories = [ScriptDirectory, InitDirectory],
        AllowInsecureAuth = allowInsecure,
    };

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // a leftover temp directory is harmless
        }
    }
}

internal static class ClassicTestFiles
{
    public const string Mode600Note = "authkeys must be mode 600";

    public static readonly UnixFileMode Mode600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static readonly UnixFileMode Mode644 = Mode600 | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>The seed's node 1 addresses are this machine's.</summary>
    public static bool Node1IsLocal(IPAddress a) => a.ToString() is "192.168.0.1" or "10.0.0.1";

    public static bool NothingLocal(IPAddress a) => false;

    public static IReadOnlyList<NodeSpec> SeedNodes { get; } = [new("ovz-node1"), new("ovz-node2")];

    public static string SeedDirectory => Path.Combine(CorpusDirectory, "seed");

    public static string CorpusDirectory => FindUp("tests/Tandem.Config.Tests/Corpus/heartbeat", null);

    /// <summary>Minimal ha.cf lines that make a file valid on their own (one medium, two nodes, a fence device).</summary>
    public const string Base = "ucast eth1 10.0.0.2\nnode ovz-node1 ovz-node2\nstonith_host * external/ssh ovz-node1 ovz-node2\n";

    public static HaCfDocument ParseHaCf(string text, DiagnosticBag bag) =>
        HaCfReader.Parse(text, "ha.cf", Node1IsLocal, bag);

    public static List<Diagnostic> Errors(this DiagnosticBag bag) => bag.Items.Where(d => d.Severity == Severity.Error).ToList();

    public static string Dump(this DiagnosticBag bag) => string.Join("\n", bag.Items);

    public static Diagnostic Single(this DiagnosticBag bag, string code)
    {
        var found = bag.Items.Where(d => d.Code == code).ToList();
        Assert.True(found.Count == 1, $"expected one {code}, got {found.Count}:\n{bag.Dump()}");
        return found[0];
    }

    public static void NoErrors(this DiagnosticBag bag) =>
        Assert.False(bag.HasErrors, "expected no errors, got:\n" + bag.Dump());

    private static string FindUp(string relative, string? fallback)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, relative);
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }
        return fallback ?? throw new DirectoryNotFoundException($"{relative} not found above {AppContext.BaseDirectory}");
    }
}
