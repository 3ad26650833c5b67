using Tandem.IntegrationTests.Infrastructure;
using Xunit;

namespace Tandem.IntegrationTests.Daemon;

/// <summary>What the client commands say, and how they exit, when no daemon runs.</summary>
public sealed class UnreachableDaemonTests : IDisposable
{
    private readonly string _run = TestPaths.NewTempDirectory("tandem-norun");

    public void Dispose() => TestPaths.DeleteQuietly(_run);

    [Theory]
    [InlineData("status")]
    [InlineData("status", "--json")]
    [InlineData("events")]
    [InlineData("events", "--follow")]
    public async Task Without_a_daemon_the_client_exits_3_and_says_how_to_start_one(params string[] command)
    {
        await using var run = await TandemProcess.RunAsync([.. command, "--run-dir", _run]);
        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.Contains($"no daemon is running on {_run} (no control socket): start one with `tandem daemon`", run.Stderr, StringComparison.Ordinal);
        Assert.Equal("", run.Stdout);
    }
}
