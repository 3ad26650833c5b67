using System.Globalization;
using System.Text.Json.Nodes;
using Tandem.Testing;
using Xunit;

namespace Tandem.IntegrationTests.Seed;

/// <summary>
/// The seed's haresources line end to end on two daemons, as root (issue #6): drbddisk::r0 →
/// Filesystem on the attached device → the LSB script vz (a writer that fsyncs numbered files) →
/// MailTo to a local SMTP sink. After every move of the group, every file the writer saw fsynced
/// is on the new node's mount with its content. See <see cref="SeedGroupCluster"/> for the setup.
/// </summary>
public sealed class SeedGroupTests
{
    private const string N1 = SeedGroupCluster.Node1;
    private const string N2 = SeedGroupCluster.Node2;
    private const string G = SeedGroupCluster.Group;
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("on")]
    [InlineData("legacy")]
    public async Task Power_loss_of_the_active_node_moves_the_seed_group_with_every_fsynced_file_and_auto_failback_brings_it_back(string autoFailback)
    {
        await using var cluster = await SeedGroupCluster.StartAsync(autoFailback);

        // (1) The group runs on ovz-node1: Primary, attached, ext4 mounted, the service writing, mail sent.
        await cluster.Events(N1).WaitAsync("group.started", G, Soon);
        await AssertRunsOnAsync(cluster, N1);
        var mail1 = await cluster.WaitForMailAsync(N1, $"{N1} took over group {G}");
        Assert.Contains("RCPT root@localhost", mail1, StringComparison.Ordinal);
        await cluster.WaitForFsyncedAsync(N1, 20);
        // The steady state a power loss is about: the peer connected and in sync (what ovz-node1
        // wrote before the link came up is on ovz-node2 only after the resync).
        await cluster.WaitForInSyncAsync(N1);

        // (2) Power loss of ovz-node1. No STONITH in the seed's ha.cf: the survivor says so loudly and takes over.
        var lost = SeedGroupCluster.Now();
        await cluster.PowerLossAsync(N1);
        var dead = await cluster.Events(N2).WaitAsync("node.dead", N1, Soon);
        var warning = await cluster.Events(N2).WaitAsync("fencing.disabled", N1, Soon);
        Assert.Contains("WITHOUT FENCING", warning.Reason, StringComparison.Ordinal);
        var took = await cluster.Events(N2).WaitAsync("group.started", G, Soon);
        TestContext.Current.TestOutputHelper?.WriteLine($"node.dead -> group.started on {N2}: {(took.Time - dead.Time).TotalMilliseconds:0} ms");
        await AssertRunsOnAsync(cluster, N2);
        await cluster.WaitForMailAsync(N2, $"{N2} took over group {G}");
        var checkedAfterLoss = cluster.AssertFsyncedFilesPresent(N2);
        TestContext.Current.TestOutputHelper?.WriteLine($"{checkedAfterLoss} fsynced files intact on {N2} after the power loss of {N1}");
        var before = cluster.Fsynced().Count;
        await cluster.WaitForFsyncedAsync(N2, 10, before);

        // (4) ovz-node1 comes back after a reboot: it resyncs, and auto_failback returns the group to it
        // (on: ovz-node2 hands it back; legacy: ovz-node1 asks for it).
        await cluster.RebootAsync(N1);
        await cluster.StartDaemonAsync(N1);
        await cluster.Events(autoFailback == "on" ? N2 : N1).WaitAsync("group.failback", G, Soon, autoFailback == "on" ? took.Sequence : 0);
        await cluster.Events(N2).WaitAsync("group.stopped", G, Soon, took.Sequence);
        var back = await cluster.Events(N1).WaitAsync("group.started", G, Soon);
        var synced = await cluster.Events(N1).WaitAsync("volume.disk", "r0", Soon, where: e => e.Data?["new"] == "UpToDate");
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{N1} UpToDate again {(back.Time - synced.Time).TotalMilliseconds:0} ms before the group started there (its promotion needs it)");
        await AssertRunsOnAsync(cluster, N1);
        await cluster.WaitForMailAsync(N2, $"{N2} released group {G}");
        var checkedAfterFailback = cluster.AssertFsyncedFilesPresent(N1);
        Assert.True(checkedAfterFailback > checkedAfterLoss, "the writer on ovz-node2 added files");
        await cluster.WaitForFsyncedAsync(N1, 5, cluster.Fsynced().Count);
        cluster.AssertNeverOnBoth((lost, N1));
    }

    [Fact]
    public async Task Standby_moves_the_seed_group_stop_before_start_and_with_auto_failback_off_only_a_failback_brings_it_back()
    {
        await using var cluster = await SeedGroupCluster.StartAsync("off");
        await cluster.Events(N1).WaitAsync("group.started", G, Soon);
        await cluster.Events(N2).WaitAsync("resources.stable", N2, Soon);
        await cluster.WaitForFsyncedAsync(N1, 10);
        await cluster.WaitForInSyncAsync(N1);

        // (3) Graceful standby: ovz-node1 stops the whole group (service, unmount, detach, demote) before ovz-node2 starts it.
        var since2 = cluster.Events(N2).Last;
        await using (var standby = await cluster.TandemAsync(N1, "standby"))
        {
            Assert.True(standby.ExitCode == 0, standby.ToString());
        }
        await cluster.Events(N1).WaitAsync("group.stopped", G, Soon);
        var started = await cluster.Events(N2).WaitAsync("group.started", G, Soon, since2);
        await AssertRunsOnAsync(cluster, N2);
        Assert.Null(cluster.MountOf(N1));
        Assert.Null((string?)(await VolumeAsync(cluster, N1))["attachedDevice"]);
        var records = cluster.ReadRecords();
        var stop1 = Assert.Single(records, r => r is { Node: N1, Action: "stop" });
        var start2 = Assert.Single(records, r => r is { Node: N2, Action: "start" });
        Assert.True(stop1.Nanoseconds < start2.Nanoseconds, "ovz-node2 started the service before ovz-node1 stopped it");
        Assert.DoesNotContain(cluster.Events(N2).All, e => e.Sequence > since2 && e.Kind is "fencing.disabled" or "fencing.succeeded");
        await cluster.WaitForMailAsync(N1, $"{N1} released group {G}");
        await cluster.WaitForMailAsync(N2, $"{N2} took over group {G}");
        cluster.AssertFsyncedFilesPresent(N2);
        await cluster.WaitForFsyncedAsync(N2, 10);

        // auto_failback off: ovz-node1 restarting changes nothing.
        await cluster.StopDaemonAsync(N1);
        await cluster.StartDaemonAsync(N1);
        await cluster.Events(N2).WaitAsync("resources.peer-joined", N1, Soon, started.Sequence);
        await cluster.Events(N1).WaitAsync("resources.stable", N1, Soon);
        Assert.DoesNotContain(cluster.Events(N2).All, e => e.Sequence > started.Sequence && e.Kind is "group.failback" or "group.stopping");
        Assert.DoesNotContain(cluster.Events(N1).All, e => e.Kind == "group.starting");
        Assert.Equal(N2, (string?)(await cluster.GroupStatusAsync(N1))["runningOn"]);

        // An operator's failback returns it to its preferred node, again stop before start.
        var since1 = cluster.Events(N1).Last;
        await using (var failback = await cluster.TandemAsync(N2, "failback"))
        {
            Assert.True(failback.ExitCode == 0, failback.ToString());
        }
        await cluster.Events(N2).WaitAsync("group.stopped", G, Soon, started.Sequence);
        await cluster.Events(N1).WaitAsync("group.started", G, Soon, since1);
        await AssertRunsOnAsync(cluster, N1);
        cluster.AssertFsyncedFilesPresent(N1);
        cluster.AssertNeverOnBoth();
    }

    [Fact]
    public async Task Monitor_failure_restarts_the_service_a_failed_stop_gets_the_node_fenced_and_a_failed_fence_blocks_the_takeover()
    {
        await using var cluster = await SeedGroupCluster.StartAsync("off", fencing: true);
        var started = await cluster.Events(N1).WaitAsync("group.started", G, Soon);
        await cluster.Events(N2).WaitAsync("resources.stable", N2, Soon);
        await cluster.WaitForFsyncedAsync(N1, 10);

        // A monitor failure: the service dies; the 1 s monitor sees it stopped and restarts it in place.
        var writer = int.Parse(File.ReadAllText(cluster.WriterPidFile(N1)).Trim(), CultureInfo.InvariantCulture);
        await ExternalTool.RunOkAsync("kill", "-9", "--", "-" + writer.ToString(CultureInfo.InvariantCulture));
        await cluster.Events(N1).WaitAsync("resource.failed", "vz", Soon, started.Sequence);
        await cluster.Events(N1).WaitAsync("resource.restarted", "vz", Soon, started.Sequence);
        await AssertRunsOnAsync(cluster, N1);
        await cluster.WaitForFsyncedAsync(N1, 5, cluster.Fsynced().Count);
        cluster.AssertFsyncedFilesPresent(N1);

        await cluster.WaitForInSyncAsync(N1);

        // A failed stop: standby cannot stop the service, so ovz-node2 fences ovz-node1 (the switch
        // powers it off, writer included) and only then takes the group over.
        File.WriteAllText(cluster.FailStopFlag(N1), "");
        await using (var standby = await cluster.TandemAsync(N1, "standby"))
        {
            Assert.True(standby.ExitCode == 0, standby.ToString());
        }
        await cluster.Events(N1).WaitAsync("group.stop-failed", G, Soon);
        var fenced = await cluster.Events(N2).WaitAsync("fencing.succeeded", N1, Soon);
        var took = await cluster.Events(N2).WaitAsync("group.started", G, Soon);
        Assert.True(fenced.Sequence < took.Sequence, cluster.Events(N2).Describe());
        await cluster.Daemon(N1).WaitForExitAsync(TimeSpan.FromSeconds(20));
        await AssertRunsOnAsync(cluster, N2);
        cluster.AssertFsyncedFilesPresent(N2);
        cluster.AssertNeverOnBoth();
        File.Delete(cluster.FailStopFlag(N1));

        // ovz-node1 comes back (auto_failback off: the group stays) and resyncs.
        await cluster.RebootAsync(N1);
        await cluster.StartDaemonAsync(N1);
        await cluster.Events(N1).WaitAsync("volume.disk", "r0", Soon, where: e => e.Data?["new"] == "UpToDate");
        await cluster.Events(N1).WaitAsync("resources.stable", N1, Soon);
        await cluster.WaitForFsyncedAsync(N2, 5, cluster.Fsynced().Count);
        await cluster.WaitForInSyncAsync(N2);

        // A failed fence: ovz-node2 loses power, ovz-node1 cannot fence it, and takes nothing over.
        File.WriteAllText(cluster.FenceFailsFlag, "");
        var lost = SeedGroupCluster.Now();
        await cluster.PowerLossAsync(N2);
        await cluster.Events(N1).WaitAsync("fencing.attempt-failed", N2, Soon);
        await cluster.Events(N1).WaitAsync("resources.takeover-pending", N2, Soon);
        var group = await cluster.GroupStatusAsync(N1);
        Assert.Equal("stopped", (string?)group["state"]);
        Assert.Contains("the power switch does not answer", (string?)group["blocked"] ?? "", StringComparison.Ordinal);
        Assert.Null(cluster.MountOf(N1));
        Assert.NotEqual("Primary", (await VolumeAsync(cluster, N1))["replication"]?["role"]?.ToString());
        Assert.DoesNotContain(cluster.Events(N1).All, e => e.Kind == "group.starting");

        // The operator checks that ovz-node2 is off and confirms: now ovz-node1 takes over, with every file.
        var before = cluster.Events(N1).Last;
        await using (var confirm = await cluster.TandemAsync(N1, "fence", "confirm", N2))
        {
            Assert.True(confirm.ExitCode == 0, confirm.ToString());
        }
        await cluster.Events(N1).WaitAsync("group.started", G, Soon, before);
        await AssertRunsOnAsync(cluster, N1);
        cluster.AssertFsyncedFilesPresent(N1);
        cluster.AssertNeverOnBoth((lost, N2));
    }

    private static async Task AssertRunsOnAsync(SeedGroupCluster cluster, string node)
    {
        var group = await cluster.GroupStatusAsync(node);
        Assert.Equal("running", (string?)group["state"]);
        Assert.Equal(node, (string?)group["runningOn"]);
        var volume = await VolumeAsync(cluster, node);
        var role = volume["replication"]?["role"]?.ToString();
        Assert.True(role == "Primary", $"r0 on {node} should be Primary: {volume.ToJsonString()}");
        var device = (string?)volume["attachedDevice"];
        Assert.NotNull(device);
        Assert.StartsWith("/dev/loop", device, StringComparison.Ordinal);
        var mount = cluster.MountOf(node);
        Assert.True(mount is not null, $"{cluster.MountPoint} is not mounted in {node}'s namespace");
        Assert.StartsWith(device + " ", mount, StringComparison.Ordinal);
        Assert.Contains(" ext4 ", mount, StringComparison.Ordinal);
        Assert.True(File.Exists(cluster.WriterPidFile(node)), $"the service is not running on {node}");
    }

    private static async Task<JsonObject> VolumeAsync(SeedGroupCluster cluster, string node)
    {
        var status = await cluster.StatusAsync(node);
        return Assert.IsType<JsonObject>(Assert.Single(status["volumes"]!.AsArray()));
    }
}
