using System.Globalization;
using System.Text.RegularExpressions;
using Tandem.IntegrationTests.Infrastructure;
using Xunit;

namespace Tandem.IntegrationTests.Cli;

/// <summary>
/// <c>tandem demo</c> as a user runs it (<c>dotnet tandem.dll demo</c>): the whole story in one
/// process tree, and nothing left behind, whether it runs to the end or is interrupted.
/// </summary>
public sealed partial class DemoTests
{
    private const int SIGINT = 2;
    private const int SIGTERM = 15;
    private static readonly TimeSpan RunDeadline = TimeSpan.FromSeconds(120);

    // Detection cannot be faster than deadtime - keepalive (the last heartbeat came at most one
    // keepalive before the kill) nor, on an idle machine, slower than deadtime plus a timer tick.
    // The upper bound here is deadtime (500 ms) + keepalive (100 ms) + 1.5 s for a loaded 2-core CI
    // machine that runs other test processes at the same time.
    private static readonly TimeSpan DetectionBound = TimeSpan.FromMilliseconds(500 + 100 + 1500);

    [Fact]
    public async Task The_demo_kills_a_node_the_survivor_detects_it_within_deadtime_and_the_node_rejoins()
    {
        await using var demo = await TandemProcess.RunAsync(["demo"], RunDeadline);
        var output = demo.Stdout;
        Assert.True(demo.ExitCode == 0, demo.ToString());

        var directory = DemoDirectory(output);
        var pids = DaemonPids(output);
        Assert.True(pids.Count == 3, $"expected alpha, bravo and the restarted alpha to be started: {demo}"); // alpha, bravo, alpha again

        // Both nodes heard each other on both links before the power cut.
        foreach (var (node, peer) in new[] { ("alpha", "bravo"), ("bravo", "alpha") })
        {
            Assert.Contains($"{node}: hears {peer} on link lo-addr", output, StringComparison.Ordinal);
            Assert.Contains($"{node}: hears {peer} on link lo-port", output, StringComparison.Ordinal);
            Assert.Matches($@"{node}: status \(GET /v1/status\): peer {peer} (up|active); links lo-addr up, lo-port up", output);
        }

        // The kill, then the survivor's link.dead on both links and node.dead, in that order.
        var kill = output.IndexOf("demo: alpha (pid", StringComparison.Ordinal);
        Assert.True(kill >= 0 && output.IndexOf("killed with SIGKILL", kill, StringComparison.Ordinal) > kill, demo.ToString());
        var dead = output.IndexOf("bravo: alpha declared DEAD (every link silent for deadtime (500 ms)", StringComparison.Ordinal);
        Assert.True(dead > kill, $"no node.dead after the kill:\n{output}");
        Assert.True(output.IndexOf("bravo: link lo-addr to alpha dead", kill, StringComparison.Ordinal) is var a && a > kill && a < dead, output);
        Assert.True(output.IndexOf("bravo: link lo-port to alpha dead", kill, StringComparison.Ordinal) is var b && b > kill && b < dead, output);

        var detection = TimeSpan.FromSeconds(double.Parse(DetectionPattern().Match(output).Groups[1].Value, CultureInfo.InvariantCulture));
        Assert.True(detection <= DetectionBound, $"detection took {detection.TotalSeconds:0.000} s, more than {DetectionBound.TotalSeconds} s:\n{output}");
        // Stamped by bravo after the demo's clock reading before the kill: a death declared before the
        // kill would be a false one. (No tighter lower bound: a loaded machine can delay alpha's last
        // heartbeats, which legitimately shortens the silence still needed after the kill.)
        Assert.True(detection > TimeSpan.Zero, $"bravo declared alpha dead before the kill:\n{output}");

        // The restart is reported back by the survivor as a restart (a new generation).
        var rejoin = RejoinPattern().Match(output);
        Assert.True(rejoin.Success && rejoin.Index > dead, $"bravo did not report alpha back as restarted:\n{output}");
        Assert.Contains("rejoin: bravo saw alpha up", output, StringComparison.Ordinal);

        Assert.Contains("alpha (pid", output, StringComparison.Ordinal);
        Assert.Equal(2, Regex.Matches(output, @"demo: (alpha|bravo) \(pid \d+\) exited with code 0").Count);
        Assert.Contains("Summary: alpha's power cut detected by bravo in ", output, StringComparison.Ordinal);

        AssertNothingLeft(directory, pids, demo);
    }

    [Fact]
    public async Task Ctrl_c_while_the_nodes_run_stops_them_and_removes_the_directory()
    {
        // A long deadtime keeps the demo busy for seconds after the nodes start (the kill step waits
        // about that long for the detection), so that the signal lands mid-run even on a loaded machine.
        await using var demo = TandemProcess.Start(["demo", "--deadtime", "10s"]);
        // The heading of step 2 comes once both daemons have reported ready.
        await demo.WaitForLineAsync("2. Membership", RunDeadline, "both demo nodes to be ready");
        // A process started with SIGINT ignored (a background job of a shell without job control)
        // passes that on to its children, and .NET keeps an ignored signal ignored: there, SIGTERM
        // takes the same path through the demo's handler.
        demo.Signal(SigintIgnored() ? SIGTERM : SIGINT);
        await demo.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.True(demo.ExitCode == 130, demo.ToString());
        Assert.Contains("demo: interrupted", demo.Stdout, StringComparison.Ordinal);

        var pids = DaemonPids(demo.Stdout);
        Assert.True(pids.Count == 2, demo.ToString());
        AssertNothingLeft(DemoDirectory(demo.Stdout), pids, demo);
    }

    [Fact]
    public async Task A_deadtime_out_of_range_is_a_usage_error_and_help_says_what_is_real()
    {
        await using var bad = await TandemProcess.RunAsync(["demo", "--deadtime", "5ms"]);
        Assert.True(bad.ExitCode == 2, bad.ToString());
        Assert.Contains("--deadtime must be a duration from 100ms to 10s", bad.Stderr, StringComparison.Ordinal);

        await using var help = await TandemProcess.RunAsync(["demo", "--help"]);
        Assert.True(help.ExitCode == 0, help.ToString());
        Assert.Contains("--keep", help.Stdout, StringComparison.Ordinal);
        Assert.Contains("HMAC-SHA256", help.Stdout, StringComparison.Ordinal);
        Assert.Contains("replicated volume", help.Stdout, StringComparison.Ordinal);
    }

    private static bool SigintIgnored()
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null
            && ulong.TryParse(line["SigIgn:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var mask)
            && (mask & (1UL << (SIGINT - 1))) != 0;
    }

    private static string DemoDirectory(string output)
    {
        var match = DirectoryPattern().Match(output);
        Assert.True(match.Success, $"the demo did not name its directory:\n{output}");
        return match.Groups[1].Value;
    }

    private static List<int> DaemonPids(string output) =>
        [.. StartedPattern().Matches(output).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))];

    private static void AssertNothingLeft(string directory, IReadOnlyList<int> pids, TandemProcess demo)
    {
        Assert.False(Directory.Exists(directory), $"the demo left {directory} behind:\n{demo}");
        foreach (var pid in pids)
        {
            // A pid can be reused by an unrelated process: only one that still runs on the demo's
            // directory is a daemon left behind.
            var cmdline = Path.Combine("/proc", pid.ToString(CultureInfo.InvariantCulture), "cmdline");
            string? running = null;
            try
            {
                running = File.ReadAllText(cmdline).Replace('\0', ' ');
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
            Assert.False(running is not null && running.Contains(directory, StringComparison.Ordinal),
                $"daemon pid {pid} still runs after the demo: {running}\n{demo}");
        }
    }

    [GeneratedRegex(@"Directory: (/\S+)")]
    private static partial Regex DirectoryPattern();

    [GeneratedRegex(@"demo: started (?:alpha|bravo): tandem daemon --node (?:alpha|bravo) \(pid (\d+)\)")]
    private static partial Regex StartedPattern();

    [GeneratedRegex(@"detection: (\d+\.\d+) s from the kill to bravo's node\.dead")]
    private static partial Regex DetectionPattern();

    [GeneratedRegex(@"bravo: alpha up \(back after \d+ ms, restarted \(generation \d+ -> \d+\)\)")]
    private static partial Regex RejoinPattern();
}
