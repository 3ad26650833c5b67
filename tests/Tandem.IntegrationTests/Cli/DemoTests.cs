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
    public async Task The_demo_fails_over_on_a_power_cut_keeps_every_acknowledged_record_and_fails_back()
    {
        await using var demo = await TandemProcess.RunAsync(["demo"], RunDeadline);
        var output = demo.Stdout;
        Assert.True(demo.ExitCode == 0, demo.ToString());

        var directory = DemoDirectory(output);
        var pids = DaemonPids(output);
        Assert.True(pids.Count == 3, $"expected alpha, bravo and the restarted alpha to be started: {demo}");

        // The service ran on its preferred node first.
        Assert.True(output.IndexOf("alpha: group records started", StringComparison.Ordinal) is var first && first >= 0, output);

        // After the power cut, in this order: alpha declared dead, fenced, r0 promoted on bravo, the group started there.
        var cut = output.IndexOf("alpha's plug pulled", StringComparison.Ordinal);
        Assert.True(cut > first, $"no power cut after the service started:\n{output}");
        var steps = new[]
        {
            "bravo: alpha declared DEAD (every link silent for deadtime (500 ms)",
            "bravo: fencing alpha: succeeded",
            "bravo: r0 role Secondary -> Primary",
            "bravo: group records started (takeover from alpha: alpha was fenced",
        };
        var at = cut;
        foreach (var step in steps)
        {
            var next = output.IndexOf(step, at, StringComparison.Ordinal);
            Assert.True(next > at, $"'{step}' should follow the power cut and the steps before it:\n{output}");
            at = next;
        }

        var failover = FailoverPattern().Match(output);
        Assert.True(failover.Success, output);
        var times = Enumerable.Range(1, 5).Select(i => double.Parse(failover.Groups[i].Value, CultureInfo.InvariantCulture)).ToArray();
        Assert.True(times[0] <= DetectionBound.TotalSeconds, $"detection took {times[0]} s, more than {DetectionBound.TotalSeconds} s:\n{output}");
        Assert.True(times[0] > 0, $"bravo declared alpha dead before the power cut:\n{output}");
        Assert.True(times.Zip(times.Skip(1)).All(p => p.First <= p.Second), $"dead <= fenced <= primary <= started <= first record: {string.Join(", ", times)}");

        // Every acknowledged record was read back on the survivor, including alpha's, and again after the failback.
        var onBravo = CheckPattern().Match(output);
        Assert.True(onBravo.Success, output);
        Assert.True(int.Parse(onBravo.Groups[2].Value, CultureInfo.InvariantCulture) >= 50, $"alpha's acknowledged records are among those checked:\n{output}");
        Assert.Matches(@"read back through alpha's export: \d+ acknowledged records, all present", output);
        Assert.True(output.IndexOf("alpha: group records started", output.IndexOf("7. alpha returns", StringComparison.Ordinal), StringComparison.Ordinal) > 0,
            $"alpha took the group back (auto_failback on):\n{output}");

        // The failback waits for the resync: bravo stops the group only after its resync to alpha finished.
        var returned = output.IndexOf("7. alpha returns", StringComparison.Ordinal);
        var resync = output.IndexOf("bravo: r0 sync.started", returned, StringComparison.Ordinal);
        if (resync > 0)
        {
            var finished = output.IndexOf("bravo: r0 sync.finished", resync, StringComparison.Ordinal);
            var stopping = output.IndexOf("bravo: group records stopping", returned, StringComparison.Ordinal);
            Assert.True(finished > 0 && stopping > finished, $"bravo handed the group back before alpha's resync finished:\n{output}");
        }

        Assert.Equal(2, Regex.Matches(output, @"demo: (alpha|bravo) \(pid \d+\) exited with code 0").Count);
        Assert.Contains("Summary: alpha lost power with record #", output, StringComparison.Ordinal);

        AssertNothingLeft(directory, pids, demo);
    }

    [Fact]
    public async Task Ctrl_c_while_the_nodes_run_stops_them_and_removes_the_directory()
    {
        // A long deadtime keeps the demo busy for seconds after the nodes start (the kill step waits
        // about that long for the detection), so that the signal lands mid-run even on a loaded machine.
        await using var demo = TandemProcess.Start(["demo", "--deadtime", "10s"]);
        // The heading of step 3 comes once both daemons have reported ready.
        await demo.WaitForLineAsync("3. The replicated volume", RunDeadline, "both demo nodes to be ready");
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
        // No process of the demo is left either: not a daemon, not the service a daemon started.
        foreach (var proc in Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
        {
            string? line = null;
            try
            {
                line = File.ReadAllText(Path.Combine(proc, "cmdline")).Replace('\0', ' ');
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
            Assert.False(line is not null && line.Contains(directory + "/", StringComparison.Ordinal), $"process {proc} still runs on the demo's directory: {line}\n{demo}");
        }
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

    [GeneratedRegex(@"failover: dead (\d+\.\d+) s, fenced (\d+\.\d+) s, r0 primary (\d+\.\d+) s, group started (\d+\.\d+) s, first new record acknowledged (\d+\.\d+) s")]
    private static partial Regex FailoverPattern();

    [GeneratedRegex(@"read back through bravo's export: (\d+) acknowledged records, all present \((\d+) of them acknowledged by alpha")]
    private static partial Regex CheckPattern();
}
