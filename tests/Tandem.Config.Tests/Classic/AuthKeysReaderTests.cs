using Tandem.Config.Classic;
using Tandem.Core.Model;
using Xunit;
using static Tandem.Config.Tests.Classic.ClassicTestFiles;

namespace Tandem.Config.Tests.Classic;

public sealed class AuthKeysReaderTests
{
    private static (AuthSpec? Spec, DiagnosticBag Bag) Parse(string text, bool allowInsecure = false)
    {
        var bag = new DiagnosticBag();
        return (AuthKeysReader.Parse(text, "authkeys", allowInsecure, bag), bag);
    }

    [Fact]
    public void Reads_keys_and_the_active_index()
    {
        var (spec, bag) = Parse("# keys\nauth 2\n1 sha1 OldSecret\n2 sha256 NewSecret\n3 md5 m\n15 sha512 top\n0 sha1 zero\n");
        bag.NoErrors();
        Assert.NotNull(spec);
        Assert.Equal(2, spec.ActiveIndex);
        Assert.Equal(AuthMethod.Sha256, spec.Active.Method);
        Assert.Equal("NewSecret", spec.Active.Secret);
        Assert.Equal([1, 2, 3, 15, 0], spec.Keys.Select(k => k.Index));
        Assert.Equal([AuthMethod.Sha1, AuthMethod.Sha256, AuthMethod.Md5, AuthMethod.Sha512, AuthMethod.Sha1], spec.Keys.Select(k => k.Method));
        Assert.False(spec.AllowInsecure);
    }

    [Fact]
    public void A_hash_inside_a_key_is_part_of_the_key()
    {
        var (spec, bag) = Parse("auth 1\n1 sha1 abc#def\n");
        bag.NoErrors();
        Assert.Equal("abc#def", spec!.Active.Secret);
    }

    [Theory]
    [InlineData("1 sha1 secret\n", "AUTH012", 0)]
    [InlineData("auth 3\n1 sha1 secret\n", "AUTH016", 1)]
    [InlineData("auth\n1 sha1 secret\n", "AUTH005", 1)]
    [InlineData("auth 1 2\n1 sha1 secret\n", "AUTH005", 1)]
    [InlineData("auth 16\n1 sha1 secret\n", "AUTH006", 1)]
    [InlineData("auth 1\n16 sha1 secret\n", "AUTH006", 2)]
    [InlineData("auth 1\n1\n", "AUTH007", 2)]
    [InlineData("auth 1\n1 sha3 secret\n", "AUTH007", 2)]
    [InlineData("auth 1\n1 crc secret\n", "AUTH008", 2)]
    [InlineData("auth 1\n1 sha1\n", "AUTH009", 2)]
    [InlineData("auth 1\n1 md5\n", "AUTH009", 2)]
    [InlineData("auth 1\n1 crc\n", "AUTH010", 2)]
    [InlineData("auth 1\n1 sha1 a\n1 sha1 b\n", "AUTH013", 3)]
    [InlineData("auth 1\nauth 1\n1 sha1 a\n", "AUTH014", 2)]
    [InlineData("auth 1\nkey sha1 a\n", "AUTH005", 2)]
    public void Broken_files_are_refused_with_a_located_error(string text, string code, int line)
    {
        var (spec, bag) = Parse(text);
        Assert.Null(spec);
        var d = bag.Single(code);
        Assert.Equal((Severity.Error, line), (d.Severity, d.Line));
        Assert.False(string.IsNullOrEmpty(d.Hint));
    }

    [Fact]
    public void Crc_needs_the_insecure_option_and_then_warns()
    {
        var (_, bag) = Parse("auth 1\n1 crc\n");
        Assert.Contains("--allow-insecure-auth", bag.Single("AUTH010").Hint, StringComparison.Ordinal);

        var (spec, allowed) = Parse("auth 1\n1 crc\n", allowInsecure: true);
        allowed.NoErrors();
        Assert.True(spec!.AllowInsecure);
        Assert.Equal((AuthMethod.Crc, ""), (spec.Active.Method, spec.Active.Secret));
        Assert.Equal(Severity.Warning, allowed.Single("AUTH011").Severity);
    }

    [Fact]
    public void Text_after_the_key_warns()
    {
        var (spec, bag) = Parse("auth 1\n1 sha1 my secret phrase\n");
        Assert.Equal("my", spec!.Active.Secret);
        Assert.Equal(Severity.Warning, bag.Single("AUTH015").Severity);
    }

    [Theory]
    [InlineData("auth 1\n1 sha1 TopSecretValue extra TopSecretValue\n")]
    [InlineData("auth 1\n1 TopSecretValue\n")]
    [InlineData("auth 1\nTopSecretValue\n")]
    [InlineData("auth 1\n1 crc TopSecretValue\n")]
    [InlineData("auth 1\n1 sha1 TopSecret\0Value\n")]
    public void Secrets_never_appear_in_diagnostics(string text)
    {
        var (_, bag) = Parse(text);
        Assert.NotEmpty(bag.Items);
        Assert.DoesNotContain(bag.Items, d => d.ToString().Contains("TopSecret", StringComparison.Ordinal));
    }

    [Fact]
    public void A_file_readable_by_others_is_refused_with_heartbeats_reason_and_the_fix()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("Unix file modes only");
        }
        using var dir = new HaDirectory();
        dir.Write("authkeys", "auth 1\n1 sha1 secret\n", Mode644);
        var bag = new DiagnosticBag();
        Assert.Null(AuthKeysReader.Read(dir.File("authkeys"), dir.Options(), bag));
        var d = bag.Single("AUTH002");
        Assert.StartsWith($"Bad permissions on keyfile [{dir.File("authkeys")}], 600 recommended.", d.Message, StringComparison.Ordinal);
        Assert.Equal($"chmod 600 {dir.File("authkeys")}", d.Hint);

        dir.Mode("authkeys", Mode600 | UnixFileMode.GroupRead);
        bag = new DiagnosticBag();
        Assert.Null(AuthKeysReader.Read(dir.File("authkeys"), dir.Options(), bag));
        bag.Single("AUTH002");

        bag = new DiagnosticBag();
        Assert.NotNull(AuthKeysReader.Read(dir.File("authkeys"), dir.Options() with { SkipKeyFileModeCheck = true }, bag));
        bag.NoErrors();

        dir.Mode("authkeys", Mode600);
        bag = new DiagnosticBag();
        Assert.NotNull(AuthKeysReader.Read(dir.File("authkeys"), dir.Options(), bag));
        bag.NoErrors();
    }

    [Fact]
    public void A_missing_file_is_an_error_naming_the_path()
    {
        using var dir = new HaDirectory();
        var bag = new DiagnosticBag();
        Assert.Null(AuthKeysReader.Read(dir.File("authkeys"), dir.Options(), bag));
        Assert.Contains(dir.File("authkeys"), bag.Single("AUTH001").Message, StringComparison.Ordinal);
    }
}
