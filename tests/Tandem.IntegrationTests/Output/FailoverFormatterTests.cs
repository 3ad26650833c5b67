using System.Text.Json.Nodes;
using Tandem.Cli.Output;
using Xunit;

namespace Tandem.IntegrationTests.Output;

public sealed class FailoverFormatterTests
{
    [Fact]
    public void A_group_shows_where_it_runs_why_it_waits_and_each_resource_with_its_last_failure()
    {
        var group = new JsonObject
        {
            ["name"] = "web",
            ["preferredNode"] = "fo1",
            ["runningOn"] = null,
            ["state"] = "stopped",
            ["peerState"] = "failed",
            ["failedHere"] = true,
            ["blocked"] = "failed on both nodes",
            ["resources"] = new JsonArray(
                new JsonObject { ["id"] = "svc", ["agent"] = "heartbeat:recorder", ["state"] = "stopped", ["restarts"] = 0 },
                new JsonObject
                {
                    ["id"] = "dummy", ["agent"] = "ocf:heartbeat:Dummy", ["state"] = "failed", ["restarts"] = 2,
                    ["lastFailure"] = "start of dummy failed: exit 1", ["lastFailureTime"] = "2026-11-25T21:00:00.0000000+00:00",
                }),
        };
        var text = StatusFormatter.FormatGroup(group);
        Assert.Equal("""
            web: not running (preferred fo1; here stopped, peer failed) [failed here]
                waiting: failed on both nodes
                svc [heartbeat:recorder] stopped
                dummy [ocf:heartbeat:Dummy] failed, 2 restarts
                  last failure at 2026-11-25T21:00:00.0000000+00:00: start of dummy failed: exit 1
            """.ReplaceLineEndings("\n"), text);
    }

    [Fact]
    public void Fencing_shows_devices_waiting_confirmations_and_the_last_outcome()
    {
        var fencing = new JsonObject
        {
            ["enabled"] = true,
            ["devices"] = new JsonArray(new JsonObject { ["name"] = "ipmi", ["kind"] = "fenceagent", ["runsOn"] = null, ["targets"] = new JsonArray("fo1"), ["unsupported"] = null }),
            ["awaitingConfirmation"] = new JsonArray("fo1"),
            ["last"] = new JsonObject
            {
                ["fo1"] = new JsonObject { ["time"] = "T", ["success"] = false, ["device"] = "ipmi", ["detail"] = "timed out" },
            },
        };
        var text = StatusFormatter.FormatFencing(fencing);
        Assert.Contains("Fencing: enabled", text, StringComparison.Ordinal);
        Assert.Contains("* ipmi (fenceagent), fences fo1, runs on any node", text, StringComparison.Ordinal);
        Assert.Contains("awaiting confirmation: fo1 (run 'tandem fence confirm fo1' once it is off)", text, StringComparison.Ordinal);
        Assert.Contains("last fencing of fo1: FAILED at T (ipmi): timed out", text, StringComparison.Ordinal);
        Assert.StartsWith("Fencing: DISABLED", StatusFormatter.FormatFencing(new JsonObject { ["enabled"] = false }), StringComparison.Ordinal);
    }
}
