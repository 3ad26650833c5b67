using System.Text.Json.Nodes;
using Tandem.IntegrationTests.Infrastructure;
using Xunit;

namespace Tandem.IntegrationTests.Cli;

/// <summary><c>tandem config check</c> and <c>convert</c> on the seed's classic files, as real processes.</summary>
public sealed class ConfigCheckTests
{
    private const string Secret = "PutYourSuperSecretKeyHere";
    private static readonly UnixFileMode Mode600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private static readonly UnixFileMode Mode644 = Mode600 | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    [Fact]
    public async Task The_seed_checks_cleanly_once_authkeys_is_600_and_the_summary_names_both_nodes()
    {
        var seed = TestPaths.CopySeed(Mode600);
        try
        {
            await using var check = await TandemProcess.RunAsync(["config", "check", "--ha-dir", seed, "--drbd-conf", Path.Combine(seed, "drbd.conf")]);
            Assert.True(check.ExitCode == 0, check.ToString());
            Assert.Contains("ovz-node1", check.Stdout, StringComparison.Ordinal);
            Assert.Contains("ovz-node2", check.Stdout, StringComparison.Ordinal);
            Assert.Contains("r0", check.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain(Secret, check.Stdout + check.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain(": error ", check.Stderr, StringComparison.Ordinal);
            // Issue 13: the check ends with a one-line verdict.
            Assert.StartsWith("Verdict: valid (0 errors, ", check.Stdout.TrimEnd('\n').Split('\n')[^1], StringComparison.Ordinal);
        }
        finally
        {
            TestPaths.DeleteQuietly(seed);
        }
    }

    [Fact]
    public async Task The_seed_is_refused_while_authkeys_is_readable_by_others()
    {
        var seed = TestPaths.CopySeed(Mode644);
        try
        {
            await using var check = await TandemProcess.RunAsync(["config", "check", "--ha-dir", seed, "--drbd-conf", Path.Combine(seed, "drbd.conf")]);
            Assert.True(check.ExitCode == 1, check.ToString());
            Assert.Contains("600 recommended", check.Stderr, StringComparison.Ordinal);
            Assert.Contains(Path.Combine(seed, "authkeys"), check.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain(Secret, check.Stdout + check.Stderr, StringComparison.Ordinal);
            Assert.Matches(@"^Verdict: INVALID \(1 error, \d+ warnings?, \d+ notes?\); a daemon would refuse to start on it", check.Stdout.TrimEnd('\n').Split('\n')[^1]);
        }
        finally
        {
            TestPaths.DeleteQuietly(seed);
        }
    }

    [Fact]
    public async Task With_json_the_summary_and_diagnostics_are_one_document_on_stdout()
    {
        var seed = TestPaths.CopySeed(Mode600);
        try
        {
            await using var check = await TandemProcess.RunAsync(["config", "check", "--json", "--ha-dir", seed, "--drbd-conf", Path.Combine(seed, "drbd.conf")]);
            Assert.True(check.ExitCode == 0, check.ToString());
            var document = JsonNode.Parse(check.Stdout)!;
            Assert.True((bool)document["valid"]!);
            Assert.Equal(["ovz-node1", "ovz-node2"], document["summary"]!["nodes"]!.AsArray().Select(n => (string)n!));
            Assert.Equal("sha1", (string?)document["summary"]!["auth"]!["method"]);
            Assert.IsType<JsonArray>(document["diagnostics"]);
            Assert.DoesNotContain(Secret, check.Stdout, StringComparison.Ordinal);
            Assert.Equal("", check.Stderr);
        }
        finally
        {
            TestPaths.DeleteQuietly(seed);
        }
    }

    [Fact]
    public async Task Convert_prints_the_native_form_of_the_seed()
    {
        var seed = TestPaths.CopySeed(Mode600);
        try
        {
            await using var convert = await TandemProcess.RunAsync(["config", "convert", "--ha-dir", seed, "--drbd-conf", Path.Combine(seed, "drbd.conf")]);
            Assert.True(convert.ExitCode == 0, convert.ToString());
            Assert.Contains("ovz-node1", convert.Stdout, StringComparison.Ordinal);
            Assert.Contains("ovz-node2", convert.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            TestPaths.DeleteQuietly(seed);
        }
    }

    [Fact]
    public async Task Convert_of_an_invalid_input_prints_nothing_on_stdout_and_exits_1()
    {
        var empty = TestPaths.NewTempDirectory("tandem-empty");
        try
        {
            await using var convert = await TandemProcess.RunAsync(["config", "convert", "--ha-dir", empty, "--drbd-conf", Path.Combine(empty, "drbd.conf")]);
            Assert.True(convert.ExitCode == 1, convert.ToString());
            Assert.Equal("", convert.Stdout);
            Assert.Contains(": error ", convert.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            TestPaths.DeleteQuietly(empty);
        }
    }

    [Theory]
    [InlineData("config", "check", "--config", "a.toml", "--ha-dir", "/etc/ha.d")]
    [InlineData("status", "--no-such-option")]
    [InlineData("events", "--since", "-1")]
    [InlineData("events", "--since", "many")]
    [InlineData("frobnicate")]
    public async Task Usage_errors_exit_2_and_point_to_help(params string[] args)
    {
        await using var run = await TandemProcess.RunAsync(args);
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("--help' for usage", run.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("daemon")]
    [InlineData("status")]
    [InlineData("events")]
    [InlineData("config", "check")]
    [InlineData("config", "convert")]
    [InlineData("config")]
    public async Task Every_command_has_help_with_exit_codes_and_examples(params string[] command)
    {
        await using var help = await TandemProcess.RunAsync([.. command, "--help"]);
        Assert.True(help.ExitCode == 0, help.ToString());
        Assert.Contains("Usage:", help.Stdout, StringComparison.Ordinal);
        Assert.Contains("Exit codes:", help.Stdout, StringComparison.Ordinal);
        Assert.Contains("Examples:", help.Stdout, StringComparison.Ordinal);
        if (command is not ["config"])
        {
            Assert.Contains("[default: ", help.Stdout, StringComparison.Ordinal);
        }
    }
}
