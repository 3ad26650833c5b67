using Microsoft.Extensions.DependencyInjection;
using Tandem.Core.Events;
using Tandem.Core.Model;
using Tandem.Daemon.Control;
using Tandem.Resources.Agents;
using Xunit;

namespace Tandem.Daemon.Tests.Failover;

/// <summary>The resource subsystem in a real daemon (in process) of a one-node cluster: no peer, so every group starts here.</summary>
public sealed class ResourceSubsystemTests
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(20);

    private static ClusterSpec OneNode(params ResourceSpec[] resources) => TestCluster.Spec with
    {
        Nodes = [new NodeSpec("alpha")],
        Groups = [new GroupSpec("g", "alpha", resources)],
        Fencing = new FencingSpec { Disabled = true },
    };

    private static readonly ResourceSpec s_drbddisk = new("drbddisk", "drbddisk") { Class = AgentClass.BuiltIn, Arguments = ["r0"] };

    private static async Task<TandemDaemon> StartAsync(TestCluster cluster, ClusterSpec spec, Action<IServiceCollection>? configure = null)
    {
        var daemon = TandemDaemon.Create(spec, cluster.Options() with { RunClusterSubsystems = true, Realtime = false }, configure);
        await daemon.StartAsync(TestContext.Current.CancellationToken);
        return daemon;
    }

    private static async Task<ClusterEvent> WaitAsync(TandemDaemon daemon, string kind, string subject)
    {
        using var subscription = daemon.Events.Subscribe(0);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(Soon);
        try
        {
            await foreach (var ev in subscription.ReadAllAsync(cts.Token))
            {
                if (ev.Kind == kind && ev.Subject == subject)
                {
                    return ev;
                }
            }
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
        }
        throw new Xunit.Sdk.XunitException($"no {kind} {subject} within {Soon.TotalSeconds} s: "
            + string.Join("; ", daemon.Events.ReadSince(0).Select(e => $"{e.Kind} {e.Subject}: {e.Reason}")));
    }

    [Fact]
    public async Task Without_a_volume_layer_drbddisk_fails_to_start_and_says_so()
    {
        await using var cluster = new TestCluster();
        // The daemon registers its volume layer; take it away to see the agent without one.
        await using var daemon = await StartAsync(cluster, OneNode(s_drbddisk),
            s => Microsoft.Extensions.DependencyInjection.Extensions.ServiceCollectionDescriptorExtensions.RemoveAll<IVolumeControl>(s));
        var failed = await WaitAsync(daemon, "resource.failed", "drbddisk");
        Assert.Contains("no replicated volume layer", failed.Reason, StringComparison.Ordinal);
        var down = await WaitAsync(daemon, "group.unrunnable", "g");
        Assert.Contains("there is no other node", down.Reason, StringComparison.Ordinal);
        await WaitAsync(daemon, "resources.no-volumes", "alpha");
        await daemon.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task A_registered_volume_control_drives_drbddisk_and_is_released_on_stop()
    {
        await using var cluster = new TestCluster();
        var volumes = new FakeVolumes();
        await using var daemon = await StartAsync(cluster, OneNode(s_drbddisk), s => s.AddSingleton<IVolumeControl>(volumes));
        await WaitAsync(daemon, "group.started", "g");
        Assert.True(volumes.IsPrimary("r0"));
        Assert.Equal("/dev/fake0", volumes.AttachedDevice("r0"));
        using (var client = cluster.Client())
        {
            var status = await client.GetStatusAsync(TestContext.Current.CancellationToken);
            var group = Assert.Single(status.Section<Tandem.Resources.Groups.GroupStatus[]>("groups")!);
            Assert.Equal("alpha", group.RunningOn);
            Assert.Equal("standalone", status.Section<Tandem.Daemon.Status.FailoverStatus>("failover")!.Mode);
        }
        await daemon.StopAsync(TestContext.Current.CancellationToken);
        Assert.False(volumes.IsPrimary("r0"));
        Assert.Null(volumes.AttachedDevice("r0"));
    }

    [Fact]
    public async Task Placement_commands_without_a_peer_are_refused_with_the_reason()
    {
        await using var cluster = new TestCluster();
        await using var daemon = await StartAsync(cluster, OneNode(new ResourceSpec("mail", "MailTo") { Class = AgentClass.BuiltIn, Arguments = ["root@localhost"] }));
        using var client = cluster.Client();
        var standby = await Assert.ThrowsAsync<ControlApiException>(() => client.StandbyAsync("all", TestContext.Current.CancellationToken));
        Assert.Equal(409, standby.StatusCode);
        Assert.Contains("no peer", standby.Message, StringComparison.Ordinal);
        var self = await Assert.ThrowsAsync<ControlApiException>(() => client.ConfirmFencedAsync("alpha", TestContext.Current.CancellationToken));
        Assert.Equal(400, self.StatusCode);
        var stranger = await Assert.ThrowsAsync<ControlApiException>(() => client.ConfirmFencedAsync("nobody", TestContext.Current.CancellationToken));
        Assert.Equal(400, stranger.StatusCode);
        var badSet = await Assert.ThrowsAsync<ControlApiException>(() => client.TakeoverAsync("sideways", TestContext.Current.CancellationToken));
        Assert.Equal(400, badSet.StatusCode);
        await daemon.StopAsync(TestContext.Current.CancellationToken);
    }

    private sealed class FakeVolumes : IVolumeControl
    {
        private readonly HashSet<string> _primary = [];
        private readonly Dictionary<string, string> _attached = [];

        public Task<VolumeActionResult> PromoteAsync(string volume, CancellationToken cancellationToken)
        {
            lock (_primary)
            {
                _primary.Add(volume);
            }
            return Task.FromResult(new VolumeActionResult(true, "primary"));
        }

        public Task<VolumeActionResult> DemoteAsync(string volume, CancellationToken cancellationToken)
        {
            lock (_primary)
            {
                _primary.Remove(volume);
            }
            return Task.FromResult(new VolumeActionResult(true, "secondary"));
        }

        public bool IsPrimary(string volume)
        {
            lock (_primary)
            {
                return _primary.Contains(volume);
            }
        }

        public Task<VolumeActionResult> AttachDeviceAsync(string volume, CancellationToken cancellationToken)
        {
            lock (_primary)
            {
                _attached[volume] = "/dev/fake0";
            }
            return Task.FromResult(new VolumeActionResult(true, "/dev/fake0"));
        }

        public Task<VolumeActionResult> DetachDeviceAsync(string volume, CancellationToken cancellationToken)
        {
            lock (_primary)
            {
                _attached.Remove(volume);
            }
            return Task.FromResult(new VolumeActionResult(true, "detached"));
        }

        public string? AttachedDevice(string volume)
        {
            lock (_primary)
            {
                return _attached.GetValueOrDefault(volume);
            }
        }
    }
}
