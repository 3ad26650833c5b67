using System.Runtime.Versioning;
using Tandem.Config.Classic;
using Tandem.Config.Native;
using Tandem.Config.Tests.Classic;
using Xunit;

namespace Tandem.Config.Tests.Hostile;

/// <summary>
/// Issue #18 item 7: a FIFO or a device put where any configuration, key, secret or include file
/// belongs is refused at once, with the file named; before, a FIFO hung the reader and /dev/zero
/// ended in an OutOfMemoryException.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class NonRegularFileTests : IDisposable
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(10);
    private readonly HaDirectory _dir = HaDirectory.Seed();

    public void Dispose() => _dir.Dispose();

    private static void MkFifo(string path)
    {
        using var mkfifo = System.Diagnostics.Process.Start("mkfifo", ["-m", "600", path]);
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
    }

    /// <summary>Replaces a file by a FIFO or by a link to a device.</summary>
    private string Plant(string name, string kind)
    {
        var path = _dir.File(name);
        File.Delete(path);
        if (kind == "fifo")
        {
            MkFifo(path);
        }
        else
        {
            File.CreateSymbolicLink(path, kind);
        }
        return path;
    }

    private static IReadOnlyList<Diagnostic> Within(Action<DiagnosticBag> read, string what)
    {
        var diagnostics = new DiagnosticBag();
        var task = Task.Run(() => read(diagnostics), TestContext.Current.CancellationToken);
        Assert.True(task.Wait(s_deadline, TestContext.Current.CancellationToken), $"reading {what} did not return within {s_deadline.TotalSeconds} s");
        return diagnostics.Items;
    }

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var file in new[] { "ha.cf", "authkeys", "haresources", "drbd.conf", "include.res", "tandem.toml", "secret" })
        {
            foreach (var kind in new[] { "fifo", "/dev/zero", "/dev/urandom" })
            {
                data.Add(file, kind);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_non_regular_file_is_refused_with_its_name(string file, string kind)
    {
        IReadOnlyList<Diagnostic> found;
        string planted;
        switch (file)
        {
            case "drbd.conf":
                planted = Plant(file, kind);
                found = Within(d => DrbdConfReader.Read(planted, d), file);
                break;
            case "include.res":
                planted = Plant(file, kind);
                _dir.Write("drbd.conf", $"include \"{planted}\";\n");
                found = Within(d => DrbdConfReader.Read(_dir.File("drbd.conf"), d), file);
                break;
            case "tandem.toml":
                planted = Plant(file, kind);
                found = Within(d => NativeConfigReader.Read(planted, new ConfigOptions(), d), file);
                break;
            case "secret":
                planted = Plant(file, kind);
                _dir.Write("t.toml",
                    "[[node]]\nname = \"a\"\n[auth]\nactive = 1\n[[auth.key]]\nindex = 1\nmethod = \"sha256\"\nsecret_file = \"secret\"\n",
                    UnixFileMode.UserRead | UnixFileMode.UserWrite);
                found = Within(d => NativeConfigReader.Read(_dir.File("t.toml"), new ConfigOptions(), d), file);
                break;
            default:
                planted = Plant(file, kind);
                found = Within(d => ConfigLoader.Load(_dir.Options()).Diagnostics.ToList().ForEach(x => d.Add(x)), file);
                break;
        }
        var expected = kind == "fifo" ? "is a FIFO (named pipe), not a regular file" : "is a character device, not a regular file";
        if (file == "authkeys" && kind != "fifo")
        {
            // A device is mode 666: authkeys' mode check refuses it, with its name, before it is opened.
            expected = "600 recommended";
        }
        Assert.Contains(found, d => d.Severity == Severity.Error
            && d.Message.Contains(planted, StringComparison.Ordinal)
            && d.Message.Contains(expected, StringComparison.Ordinal));
    }
}
