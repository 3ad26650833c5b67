using Microsoft.Extensions.Logging;
using Tandem.Core.Model;
using Tandem.Core.Volumes;
using Tandem.Daemon.Control;
using Tandem.Daemon.Hosting;
using Tandem.Daemon.Status;
using Tandem.Daemon.Subsystems;
using Xunit;

namespace Tandem.Daemon.Tests.Subsystems;

/// <summary>The volume export subsystem in an in-process daemon: which volumes it exports, under
/// which names and sockets, and how the control API refuses what it cannot do.</summary>
public sealed class VolumeExportSubsystemTests : IAsyncLifetime
{
    private readonly string _root = Path.Combine("/tmp", "tdv-" + Guid.NewGuid().ToString("N")[..10]);
    private TandemDaemon? _daemon;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string RunDirectory => Path.Combine(_root, "run");

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_root);
        await using (FileVolume.Create(Path.Combine(_root, "r0-0.img"), 4 << 20))
        {
        }
        await using (FileVolume.Create(Path.Combine(_root, "r3.img"), 1 << 20))
        {
        }
        await File.WriteAllTextAsync(Path.Combine(_root, "drbd3"), "a regular file", Ct);
        VolumeSpec Volume(int number, string disk, string device = "") =>
            new(number, device.Length == 0 ? Path.Combine(_root, $"drbd{number}") : device, disk, "internal");
        var spec = new ClusterSpec
        {
            Name = "volume-cluster",
            Nodes = [new NodeSpec("alpha"), new NodeSpec("beta")],
            Replicated =
            [
                // Two volumes: r0-0 has a backing, r0-1's is missing. No peer host: served locally
                // (a peer would make them replicated volumes, which need metadata).
                new ReplicatedResourceSpec("r0")
                {
                    Hosts =
                    [
                        new ReplicaHostSpec("alpha", "127.0.0.1:7788",
                            [Volume(0, Path.Combine(_root, "r0-0.img")), Volume(1, Path.Combine(_root, "missing.img"))]),
                    ],
                },
                // Diskless here: nothing to export.
                new ReplicatedResourceSpec("r1") { Hosts = [new ReplicaHostSpec("alpha", "127.0.0.1:7789", [Volume(0, "none")])] },
                // Not on this node at all.
                new ReplicatedResourceSpec("r2") { Hosts = [new ReplicaHostSpec("beta", "127.0.0.2:7790", [Volume(0, "/nonexistent/r2")])] },
                // Its configured device is a regular file: attach must not replace it.
                new ReplicatedResourceSpec("r3")
                {
                    Hosts = [new ReplicaHostSpec("alpha", "127.0.0.1:7791", [Volume(0, Path.Combine(_root, "r3.img"), Path.Combine(_root, "drbd3"))])],
                },
            ],
        };
        var options = new DaemonOptions
        {
            NodeName = "alpha",
            StateDirectory = Path.Combine(_root, "state"),
            RunDirectory = RunDirectory,
            NotifySocket = "",
            ConfigureLogging = b => b.ClearProviders(),
            RunClusterSubsystems = false,
        };
        _daemon = TandemDaemon.Create(spec, options, s => s.AddSubsystem<VolumeExportSubsystem>(DaemonStage.Export, "volumes"));
        await _daemon.StartAsync(Ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (_daemon is not null)
        {
            await _daemon.DisposeAsync();
        }
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Each_volume_with_a_backing_is_exported_under_its_resource_and_number()
    {
        using var client = new ControlClient(RunDirectory);
        var volumes = (await client.GetStatusAsync(Ct)).Section<VolumeStatus[]>("volumes")!;
        Assert.Equal(["r0-0", "r0-1", "r3"], volumes.Select(v => v.Name));

        var exported = volumes[0];
        Assert.Equal("exported", exported.State);
        Assert.Equal(Path.Combine(RunDirectory, "nbd", "r0-0.sock"), exported.Socket);
        Assert.Equal(4 << 20, exported.Size);
        Assert.Equal(Tandem.Replication.ReplicaStatus.NotReplicated, exported.Replication.State);
        Assert.Equal(VolumeExportSubsystem.LocalBacking, exported.Replication.Reason);
        Assert.True(File.Exists(Path.Combine(RunDirectory, "nbd", "r0-0.sock")));

        var missing = volumes[1];
        Assert.Equal("unavailable", missing.State);
        Assert.Contains("missing.img", missing.Reason, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(RunDirectory, "nbd", "r0-1.sock")));

        var events = await client.GetEventsAsync(0, Ct);
        var unavailable = Assert.Single(events, e => e.Kind == "volume.unavailable");
        Assert.Equal("r0-1", unavailable.Subject);
        Assert.Equal(2, events.Count(e => e.Kind == "nbd.export.started"));
    }

    [Fact]
    public async Task The_control_api_refuses_what_it_cannot_attach_with_a_status_and_a_reason()
    {
        using var client = new ControlClient(RunDirectory);
        var unknown = await Assert.ThrowsAsync<ControlApiException>(() => client.AttachVolumeAsync("nosuch", cancellationToken: Ct));
        Assert.Equal(404, unknown.StatusCode);
        Assert.Contains("r0-0, r3", unknown.Message, StringComparison.Ordinal);

        var missing = await Assert.ThrowsAsync<ControlApiException>(() => client.AttachVolumeAsync("r0-1", cancellationToken: Ct));
        Assert.Equal(404, missing.StatusCode);
        Assert.Contains("missing.img", missing.Message, StringComparison.Ordinal);

        var regular = await Assert.ThrowsAsync<ControlApiException>(() => client.AttachVolumeAsync("r3", cancellationToken: Ct));
        Assert.Equal(409, regular.StatusCode);
        Assert.Contains("is not a symlink", regular.Message, StringComparison.Ordinal);
        Assert.Equal("a regular file", await File.ReadAllTextAsync(Path.Combine(_root, "drbd3"), Ct));

        var bad = await Assert.ThrowsAsync<ControlApiException>(() => client.DetachVolumeAsync(".hidden", Ct));
        Assert.Equal(400, bad.StatusCode);

        var none = await client.DetachVolumeAsync("r0-0", Ct);
        Assert.False(none.Attached);
        Assert.Null(none.Device);
    }

    [Fact]
    public async Task Stopping_the_daemon_stops_the_exports()
    {
        var socket = Path.Combine(RunDirectory, "nbd", "r0-0.sock");
        Assert.True(File.Exists(socket));
        await _daemon!.StopAsync(Ct);
        Assert.False(File.Exists(socket), "the export's socket should be removed");
    }
}
