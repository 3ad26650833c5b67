using Tandem.Cli.Output;
using Tandem.Fencing;
using Tandem.Resources.Groups;
using Xunit;

namespace Tandem.IntegrationTests.Output;

public sealed class FailoverFormatterTests
{
    [Fact]
    public void A_group_shows_where_it_runs_why_it_waits_and_each_resource_with_its_last_failure()
    {
        var group = new GroupStatus
        {
            Name = "web",
            PreferredNode = "fo1",
            RunningOn = null,
            State = "stopped",
            PeerState = "failed",
            FailedHere = true,
            Blocked = "failed on both nodes",
            Resources =
            [
                new GroupResourceStatus("svc", "heartbeat:recorder", "stopped", null, null, 0),
                new GroupResourceStatus("dummy", "ocf:heartbeat:Dummy", "failed", "start of dummy failed: exit 1",
                    new DateTimeOffset(2026, 11, 25, 21, 0, 0, TimeSpan.Zero).AddTicks(1234567), 2),
            ],
        };
        var text = StatusFormatter.FormatGroup(group);
        Assert.Equal("""
            web: not running (preferred fo1; here stopped, peer failed) [failed here]
                waiting: failed on both nodes
                svc [heartbeat:recorder] stopped
                dummy [ocf:heartbeat:Dummy] failed, 2 restarts
                  last failure at 2026-11-25 21:00:00Z: start of dummy failed: exit 1
            """.ReplaceLineEndings("\n"), text);
    }

    [Fact]
    public void Fencing_shows_devices_waiting_confirmations_and_the_last_outcome()
    {
        var fencing = new FencingStatus(
            true,
            [new FenceDeviceStatus("ipmi", "fenceagent", null, ["fo1"], null)],
            ["fo1"],
            new Dictionary<string, FenceOutcomeStatus> { ["fo1"] = new(new DateTimeOffset(2026, 11, 25, 21, 0, 5, TimeSpan.Zero), false, "ipmi", "timed out") });
        var text = StatusFormatter.FormatFencing(fencing);
        Assert.Contains("Fencing: enabled", text, StringComparison.Ordinal);
        Assert.Contains("* ipmi (fenceagent), fences fo1, runs on any node", text, StringComparison.Ordinal);
        Assert.Contains("awaiting confirmation: fo1 (run 'tandem fence confirm fo1' once it is off)", text, StringComparison.Ordinal);
        Assert.Contains("last fencing of fo1: FAILED at 2026-11-25 21:00:05Z (ipmi): timed out", text, StringComparison.Ordinal);
        Assert.StartsWith("Fencing: DISABLED", StatusFormatter.FormatFencing(new FencingStatus(false, [], [], new Dictionary<string, FenceOutcomeStatus>())), StringComparison.Ordinal);
    }
}
