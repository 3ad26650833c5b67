using System.Runtime.Versioning;
using Tandem.Config.Native;
using Xunit;

namespace Tandem.Config.Tests.Native;

/// <summary>Reading from files: modes of files that hold secrets, secret files, encodings, hostile input.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class NativeFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tandem-native-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Head = "[[node]]\nname = \"a\"\n[auth]\nactive = 1\n[[auth.key]]\nindex = 1\nmethod = \"sha256\"\n";

    private string Write(string name, string text, UnixFileMode mode)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    private static IReadOnlyList<Diagnostic> ReadFile(string path, ConfigOptions? options = null)
    {
        var diagnostics = new DiagnosticBag();
        NativeConfigReader.Read(path, options ?? new ConfigOptions(), diagnostics);
        return diagnostics.Items;
    }

    private const UnixFileMode Mode600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode Mode644 = Mode600 | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    [Fact]
    public void An_inline_secret_in_a_readable_file_is_refused_as_heartbeat_refuses_authkeys()
    {
        var path = Write("t.toml", Head + "secret = \"s\"\n", Mode644);
        var d = Assert.Single(ReadFile(path));
        Assert.Equal(NativeCodes.KeyFileMode, d.Code);
        Assert.Equal($"Bad permissions on keyfile [{path}], 600 recommended.", d.Message);
        Assert.Equal(8, d.Line);
    }

    [Fact]
    public void Group_readable_alone_is_enough_to_refuse()
    {
        var path = Write("t.toml", Head + "secret = \"s\"\n", Mode600 | UnixFileMode.GroupRead);
        Assert.Equal(NativeCodes.KeyFileMode, Assert.Single(ReadFile(path)).Code);
    }

    [Fact]
    public void Mode_600_or_the_skip_option_accepts_it()
    {
        Assert.Empty(ReadFile(Write("a.toml", Head + "secret = \"s\"\n", Mode600)));
        Assert.Empty(ReadFile(Write("b.toml", Head + "secret = \"s\"\n", Mode644), new ConfigOptions { SkipKeyFileModeCheck = true }));
    }

    [Fact]
    public void A_file_without_inline_secrets_may_be_readable() =>
        Assert.Empty(ReadFile(Write("t.toml", "[[node]]\nname = \"a\"\n", Mode644)));

    [Fact]
    public void A_secret_file_is_read_relative_to_the_config_and_mode_checked()
    {
        Write("key", "from-file\n", Mode600);
        var path = Write("t.toml", Head + "secret_file = \"key\"\n", Mode644);
        var diagnostics = new DiagnosticBag();
        var spec = NativeConfigReader.Read(path, new ConfigOptions(), diagnostics);
        Assert.Empty(diagnostics.Items);
        Assert.Equal("from-file", spec.Auth!.Active.Secret);
        Assert.Contains(Path.Combine(_dir, "key"), spec.Sources);

        File.SetUnixFileMode(Path.Combine(_dir, "key"), Mode644);
        var d = Assert.Single(ReadFile(path));
        Assert.Equal(NativeCodes.KeyFileMode, d.Code);
        Assert.Equal($"Bad permissions on keyfile [{Path.Combine(_dir, "key")}], 600 recommended.", d.Message);
    }

    [Fact]
    public void A_missing_or_empty_secret_file_is_an_error()
    {
        var path = Write("t.toml", Head + "secret_file = \"nothere\"\n", Mode600);
        Assert.Equal(NativeCodes.SecretFile, Assert.Single(ReadFile(path)).Code);
        Write("empty", "\n", Mode600);
        path = Write("u.toml", Head + "secret_file = \"empty\"\n", Mode600);
        Assert.Equal(NativeCodes.SecretFile, Assert.Single(ReadFile(path)).Code);
    }

    [Fact]
    public void A_missing_file_is_reported_not_thrown()
    {
        var d = Assert.Single(ReadFile(Path.Combine(_dir, "nope.toml")));
        Assert.Equal(NativeCodes.Unreadable, d.Code);
    }

    [Fact]
    public void Invalid_utf8_is_located()
    {
        var path = Path.Combine(_dir, "bin.toml");
        File.WriteAllBytes(path, [.. "[[node]]\n"u8, .. "name = \"a\xff\"\n"u8.ToArray().Select(b => b == (byte)'a' ? (byte)0xC3 : b)]);
        var d = Assert.Single(ReadFile(path));
        Assert.Equal((NativeCodes.Unreadable, 2), (d.Code, d.Line));
    }

    [Fact]
    public void Binary_garbage_is_an_error_not_a_crash()
    {
        var rng = new Random(7);
        for (var i = 0; i < 50; i++)
        {
            var bytes = new byte[rng.Next(1, 4096)];
            rng.NextBytes(bytes);
            var path = Path.Combine(_dir, $"g{i}.toml");
            File.WriteAllBytes(path, bytes);
            Assert.Contains(ReadFile(path), d => d.Severity == Severity.Error);
        }
    }

    public static TheoryData<string> HostileTexts => new()
    {
        new string('[', 100_000),
        "a = " + new string('[', 50_000) + new string(']', 50_000),
        "a = " + string.Concat(Enumerable.Repeat("{b=", 10_000)) + "1" + new string('}', 10_000),
        "[" + string.Join('.', Enumerable.Repeat("a", 20_000)) + "]",
        string.Join('.', Enumerable.Repeat("a", 20_000)) + " = 1",
        "x = \"" + new string('y', 900_000),
        "[[node]]\nname = \"a\nb\"",
        "[[node\nname = 1",
        "[cluster]\nname = '''never closed",
        "\0\0\0\0",
        "\uFEFF[[node]]\nname = \"a\"\n[[node]]\nname = \"a\"",
        new string('\n', 500_000),
    };

    [Theory]
    [MemberData(nameof(HostileTexts))]
    public void Hostile_text_gets_an_error_quickly(string text)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var diagnostics = new DiagnosticBag();
        NativeConfigReader.Parse(text, "h.toml", new ConfigOptions(), diagnostics);
        Assert.True(diagnostics.HasErrors);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"took {started.Elapsed}");
    }

    public static TheoryData<string> LargeTexts => new()
    {
        // Thousands of resources of one agent: default ids are numbered without rescanning.
        "[[node]]\nname=\"a\"\n[[group]]\npreferred_node=\"a\"\n" + string.Concat(Enumerable.Repeat("[[group.resource]]\nagent=\"x\"\n", 30_000)),
        // Thousands of nodes and thousands of references to undeclared ones.
        string.Concat(Enumerable.Range(0, 12_000).Select(i => $"[[node]]\nname=\"n{i}\"\n")) + "[[link]]\nkind=\"ucast\"\n"
            + string.Concat(Enumerable.Range(0, 10_000).Select(i => $"[[link.endpoint]]\naddress=\"127.0.0.1\"\nnode=\"x{i}\"\n")),
        // A hundred thousand keys in one table.
        "[[node]]\nname=\"a\"\n[[replicated]]\nname=\"r\"\n[replicated.handlers]\n" + string.Concat(Enumerable.Range(0, 90_000).Select(i => $"h{i}=\"x\"\n")),
    };

    [Theory]
    [MemberData(nameof(LargeTexts))]
    public void Large_files_are_read_without_quadratic_work(string text)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        NativeConfigReader.Parse(text, "l.toml", new ConfigOptions(), new DiagnosticBag());
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(15), $"took {started.Elapsed}");
    }

    [Fact]
    public void Text_over_the_size_limit_is_refused()
    {
        var diagnostics = new DiagnosticBag();
        NativeConfigReader.Parse(new string('#', NativeConfigReader.MaxFileBytes + 1), "big.toml", new ConfigOptions(), diagnostics);
        Assert.Equal(NativeCodes.Unreadable, Assert.Single(diagnostics.Items).Code);
    }

    [Fact]
    public void A_syntax_error_keeps_tomlyns_location()
    {
        var diagnostics = new DiagnosticBag();
        NativeConfigReader.Parse("[[node]]\nname = \"a\n", "s.toml", new ConfigOptions(), diagnostics);
        Assert.All(diagnostics.Items, x => Assert.Equal(NativeCodes.Syntax, x.Code));
        var d = diagnostics.Items[0];
        Assert.Equal((2, 10), (d.Line, d.Column));
        Assert.Equal("Invalid newline in a string", d.Message);
        Assert.True(d.Column > 0);
        Assert.DoesNotContain("s.toml(", d.Message, StringComparison.Ordinal);
    }
}
