using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tandem.Core.Events;
using Tandem.Core.Model;
using Tandem.Core.Volumes;
using Tandem.Daemon.Control;
using Tandem.Daemon.Hosting;
using Tandem.Daemon.Subsystems;
using Tandem.Daemon.Volumes;
using Tandem.Replication.Metadata;
using Tandem.Resources.Agents;
using Xunit;

using Tandem.Testing;

namespace Tandem.Daemon.Tests.Subsystems;

/// <summary>
/// Two in-process daemons, alpha and beta, hosting one replicated resource on loopback: what they
/// report without metadata, how the control API and <see cref="IVolumeControl"/> refuse what the
/// data does not allow, and how they promote and demote once it does.
/// </summary>
public sealed class ReplicatedHostingTests : IAsyncLifetime
{
    private readonly string _root = Path.Combine("/tmp", "tdr-" + Guid.NewGuid().ToString("N")[..10]);
    private readonly List<TandemDaemon> _daemons = [];
    private ClusterSpec _spec = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_root);
        foreach (var node in new[] { "alpha", "beta" })
        {
            await using (FileVolume.Create(Path.Combine(_root, node + ".img"), 4 << 20))
            {
            }
        }
        var port = TestPorts.Next();
        VolumeSpec Volume(string node) => new(0, Path.Combine(_root, node + "-drbd0"), Path.Combine(_root, node + ".img"), "internal");
        _spec = new ClusterSpec
        {
            Name = "replicated-cluster",
            Nodes = [new NodeSpec("alpha"), new NodeSpec("beta")],
            Replicated =
            [
                new ReplicatedResourceSpec("r0")
                {
                    Hosts =
                    [
                        new ReplicaHostSpec("alpha", $"127.0.0.1:{port}", [Volume("alpha")]),
                        new ReplicaHostSpec("beta", $"127.0.0.2:{port}", [Volume("beta")]),
                    ],
                    Net = new NetOptions { ConnectInterval = TimeSpan.FromSeconds(1), PingInterval = TimeSpan.FromSeconds(1), Timeout = TimeSpan.FromSeconds(2) },
                    Disk = new DiskOptions { ResyncRate = 100L << 20, AlExtents = 7 },
                },
            ],
        };
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var daemon in _daemons)
        {
            await daemon.DisposeAsync();
        }
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void The_daemon_registers_the_volume_control_as_a_singleton_for_the_volume_agent()
    {
        var services = new ServiceCollection();
        DaemonComposition.AddSubsystems(services);
        var descriptor = Assert.Single(services, d => d.ServiceType == typeof(IVolumeControl));
        Assert.Equal(ServiceLifetime.Singleton, descriptor.Lifetime);
    }

    [Fact]
    public async Task Without_metadata_the_volume_is_reported_and_refused_then_up_promote_and_demote_follow_the_data()
    {
        var (alpha, alphaControl) = await StartAsync("alpha");
        var (beta, _) = await StartAsync("beta");
        using var alphaClient = new ControlClient(Run("alpha"));
        using var betaClient = new ControlClient(Run("beta"));

        var volume = await VolumeAsync(alphaClient);
        Assert.Equal("unavailable", (string?)volume["state"]);
        Assert.Equal("no metadata: run tandem volume create-md r0", (string?)volume["reason"]);
        Assert.Equal("no metadata", (string?)volume["replication"]!["state"]);
        var refused = await alphaControl.PromoteAsync("r0", Ct);
        Assert.False(refused.Success);
        Assert.Contains("create-md r0", refused.Message, StringComparison.Ordinal);
        var conflict = await Assert.ThrowsAsync<ControlApiException>(() => alphaClient.RunVolumeActionAsync("r0", "primary", cancellationToken: Ct));
        Assert.Equal(409, conflict.StatusCode);
        var unknown = await Assert.ThrowsAsync<ControlApiException>(() => alphaClient.RunVolumeActionAsync("r9", "up", cancellationToken: Ct));
        Assert.Equal(404, unknown.StatusCode);

        foreach (var node in new[] { "alpha", "beta" })
        {
            var lines = await MetadataCreator.CreateAsync(_spec, node, "r0", force: false, Ct);
            Assert.Contains("metadata created", Assert.Single(lines), StringComparison.Ordinal);
        }
        var betaConnected = WaitForAsync(betaClient, e => e.Kind == "volume.connection" && e.Data?["new"] == "Connected", "beta to connect");
        var alphaConnected = WaitForAsync(alphaClient, e => e.Kind == "volume.connection" && e.Data?["new"] == "Connected", "alpha to connect");
        await alphaClient.RunVolumeActionAsync("r0", "up", cancellationToken: Ct);
        var up = JsonNode.Parse(await betaClient.RunVolumeActionAsync("r0", "up", cancellationToken: Ct))!;
        Assert.Equal("r0 is up", (string?)up["message"]);
        await betaConnected;
        await alphaConnected;

        // Both just created: Inconsistent data is not promoted, through the agent's interface either.
        var inconsistent = await alphaControl.PromoteAsync("r0", Ct);
        Assert.False(inconsistent.Success);
        Assert.Contains("Inconsistent", inconsistent.Message, StringComparison.Ordinal);
        Assert.False(alphaControl.IsPrimary("r0"));
        var badFlag = await Assert.ThrowsAsync<ControlApiException>(() => alphaClient.RunVolumeActionAsync("r0", "new-current-uuid", cancellationToken: Ct));
        Assert.Equal(400, badFlag.StatusCode);

        var betaUpToDate = WaitForAsync(betaClient, e => e.Kind == "volume.disk" && e.Data?["new"] == "UpToDate", "beta to become UpToDate");
        await alphaClient.RunVolumeActionAsync("r0", "new-current-uuid", new VolumeActionRequest(ClearBitmap: true), Ct);
        await betaUpToDate;

        var promoted = await alphaControl.PromoteAsync("r0", Ct);
        Assert.True(promoted.Success, promoted.Message);
        Assert.True(alphaControl.IsPrimary("r0"));
        // (beta's refusal beside a Primary is in the integration tests, after a replicated write
        // guarantees that beta has seen the role: the role travels asynchronously.)
        Assert.Null(alphaControl.AttachedDevice("r0"));

        var replication = (await VolumeAsync(alphaClient))["replication"]!;
        Assert.Equal("Primary", (string?)replication["role"]);
        Assert.Equal("UpToDate", (string?)replication["peerDisk"]);

        var demoted = await alphaControl.DemoteAsync("r0", Ct);
        Assert.True(demoted.Success, demoted.Message);
        Assert.False(alphaControl.IsPrimary("r0"));

        var down = JsonNode.Parse(await alphaClient.RunVolumeActionAsync("r0", "down", cancellationToken: Ct))!;
        Assert.Equal("down", (string?)down["volumes"]![0]!["state"]);
        Assert.False(File.Exists(Path.Combine(Run("alpha"), "nbd", "r0.sock")), "a volume taken down is not exported");
        _ = alpha;
        _ = beta;
    }

    [Fact]
    public async Task Outdated_data_is_refused_promotion_with_the_reason()
    {
        await MetadataCreator.CreateAsync(_spec, "alpha", "r0", force: false, Ct);
        await using (var backing = FileVolume.Open(Path.Combine(_root, "alpha.img")))
        {
            // Consistent but never up to date: what a fenced (outdated) replica's metadata says.
            var md = await ReplicaMetadata.OpenAsync(backing, null, Ct);
            await md.UpdateAsync(u => u with { Current = 0x1234_5678_9ABC_DEF2 }, f => (f | MetadataFlags.Consistent) & ~MetadataFlags.WasUpToDate, Ct);
            // Connected once before: the daemon exports it without waiting for the peer.
            await md.SetLastAgreedSizeAsync(md.UsableSize, Ct);
        }
        var (_, control) = await StartAsync("alpha");
        using var client = new ControlClient(Run("alpha"));
        Assert.Equal("Outdated", (string?)(await VolumeAsync(client))["replication"]!["disk"]);

        var refused = await control.PromoteAsync("r0", Ct);
        Assert.False(refused.Success);
        Assert.Contains("refusing to promote with disk state Outdated", refused.Message, StringComparison.Ordinal);
        Assert.False(control.IsPrimary("r0"));
        var api = await Assert.ThrowsAsync<ControlApiException>(() => client.RunVolumeActionAsync("r0", "primary", cancellationToken: Ct));
        Assert.Equal(409, api.StatusCode);
        Assert.Contains("Outdated", api.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_volume_of_a_resource_with_several_replicates_on_the_resource_port_plus_its_number()
    {
        var resource = _spec.Replicated[0];
        var port = int.Parse(resource.Hosts[0].Address.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
        VolumeSpec Second(string node) => new(1, Path.Combine(_root, node + "-drbd1"), Path.Combine(_root, node + "-1.img"), "internal");
        await using (FileVolume.Create(Path.Combine(_root, "alpha-1.img"), 4 << 20))
        {
        }
        _spec = _spec with
        {
            Replicated =
            [
                resource with
                {
                    Hosts = [.. resource.Hosts.Select(h => h with { Volumes = [.. h.Volumes, Second(h.Name)] })],
                },
            ],
        };
        await MetadataCreator.CreateAsync(_spec, "alpha", "r0", force: false, Ct);
        foreach (var image in new[] { "alpha.img", "alpha-1.img" })
        {
            // Connected once before: the daemon exports them without waiting for the peer.
            await using var backing = FileVolume.Open(Path.Combine(_root, image));
            var md = await ReplicaMetadata.OpenAsync(backing, null, Ct);
            await md.SetLastAgreedSizeAsync(md.UsableSize, Ct);
        }
        var (daemon, _) = await StartAsync("alpha");

        var up = daemon.Events.ReadSince(0).Where(e => e.Kind == "volume.up").ToDictionary(e => e.Subject);
        Assert.Equal($"127.0.0.1:{port}", up["r0-0"].Data!["listen"]);
        Assert.Equal($"127.0.0.2:{port}", up["r0-0"].Data!["peer"]);
        Assert.Equal($"127.0.0.1:{port + 1}", up["r0-1"].Data!["listen"]);
        Assert.Equal($"127.0.0.2:{port + 1}", up["r0-1"].Data!["peer"]);
        // Their events carry the export name, so that the two are told apart.
        Assert.Contains(daemon.Events.ReadSince(0), e => e.Kind == "volume.connection" && e.Subject == "r0-1");
    }

    private async Task<(TandemDaemon Daemon, IVolumeControl Control)> StartAsync(string node)
    {
        var options = new DaemonOptions
        {
            NodeName = node,
            StateDirectory = Path.Combine(_root, node, "state"),
            RunDirectory = Run(node),
            NotifySocket = "",
            ConfigureLogging = b => b.ClearProviders(),
            RunClusterSubsystems = false,
        };
        var daemon = TandemDaemon.Create(_spec, options, s =>
        {
            s.AddSubsystem<VolumeExportSubsystem>(DaemonStage.Export, "volumes");
            s.AddSingleton<IVolumeControl>(sp => new VolumeControl(sp.GetRequiredService<VolumeExportSubsystem>()));
        });
        _daemons.Add(daemon);
        await daemon.StartAsync(Ct);
        return (daemon, daemon.Services.GetRequiredService<IVolumeControl>());
    }

    private string Run(string node) => Path.Combine(_root, node, "run");

    private static async Task<JsonObject> VolumeAsync(ControlClient client)
    {
        var status = JsonNode.Parse(await client.GetStatusJsonAsync(Ct))!;
        return Assert.IsType<JsonObject>(Assert.Single(status["volumes"]!.AsArray()));
    }

    private static async Task<ClusterEvent> WaitForAsync(ControlClient client, Func<ClusterEvent, bool> match, string what)
    {
        async Task<ClusterEvent> FollowAsync()
        {
            await foreach (var ev in client.FollowEventsAsync(0, Ct))
            {
                if (match(ev))
                {
                    return ev;
                }
            }
            throw new InvalidOperationException("the event stream ended");
        }
        return await FollowAsync().WithinAsync(TimeSpan.FromSeconds(30), what);
    }
}
