using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Tandem.Core.Events;
using Tandem.Core.Status;
using Tandem.Daemon.Control;
using Tandem.Daemon.Hosting;
using Tandem.Daemon.Status;
using Xunit;

namespace Tandem.Daemon.Tests.Hosting;

public sealed class DaemonLifecycleTests : IAsyncDisposable
{
    private readonly TestCluster _cluster = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task A_second_daemon_on_the_same_run_directory_is_refused_naming_the_first()
    {
        await _cluster.StartAsync();
        var e = Assert.Throws<DaemonAlreadyRunningException>(() => TandemDaemon.Create(TestCluster.Spec, _cluster.Options("beta")));
        Assert.Equal(Environment.ProcessId, e.Pid);
        Assert.Contains($"(pid {Environment.ProcessId})", e.Message, StringComparison.Ordinal);
        Assert.Contains(_cluster.RunDirectory, e.Message, StringComparison.Ordinal);
        // The refused daemon must not have disturbed the first one.
        using var client = _cluster.Client();
        Assert.Equal("alpha", (await client.GetStatusAsync(Ct)).Node);
    }

    [Fact]
    public async Task Leftovers_of_a_killed_daemon_do_not_block_a_start()
    {
        Directory.CreateDirectory(_cluster.RunDirectory);
        await File.WriteAllTextAsync(DaemonOptions.PidFilePath(_cluster.RunDirectory), "999999\n", Ct);
        await StaleSocket.CreateAsync(DaemonOptions.ControlSocketPath(_cluster.RunDirectory));
        var daemon = await _cluster.StartAsync();
        Assert.Equal(Environment.ProcessId, PidFileLock.ReadPid(DaemonOptions.PidFilePath(_cluster.RunDirectory)));
        using var client = _cluster.Client();
        Assert.Equal("alpha", (await client.GetStatusAsync(Ct)).Node);
        await daemon.StopAsync(Ct);
    }

    [Fact]
    public async Task A_stopped_daemon_removes_its_socket_and_pid_file_and_logs_the_stop()
    {
        var daemon = await _cluster.StartAsync();
        Assert.True(File.Exists(daemon.ControlSocket));
        await daemon.StopAsync(Ct);
        await daemon.DisposeAsync();
        Assert.False(File.Exists(daemon.ControlSocket), "the control socket is still there");
        Assert.False(File.Exists(DaemonOptions.PidFilePath(_cluster.RunDirectory)), "the pid file is still there");
        var kinds = File.ReadAllLines(DaemonOptions.EventLogPath(_cluster.StateDirectory))
            .Select(l => JsonSerializer.Deserialize(l, ControlJsonContext.Default.ClusterEvent)!.Kind);
        Assert.Equal(["config.loaded", "daemon.started", "daemon.stopping", "daemon.stopped"], kinds);

        // And the directory is free again.
        var again = await _cluster.StartAsync();
        await again.StopAsync(Ct);
    }

    [Fact]
    public void A_node_that_is_not_a_member_is_refused_with_the_members()
    {
        var e = Assert.Throws<DaemonStartException>(() => TandemDaemon.Create(TestCluster.Spec, _cluster.Options("gamma")));
        Assert.Contains("'gamma'", e.Message, StringComparison.Ordinal);
        Assert.Contains("alpha, beta", e.Message, StringComparison.Ordinal);
        Assert.Contains("--node", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_cluster.RunDirectory), "a refused daemon must not leave a run directory behind");
    }

    [Fact]
    public void A_run_directory_too_long_for_a_socket_address_is_refused()
    {
        var options = _cluster.Options() with { RunDirectory = Path.Combine(_cluster.Root, new string('r', 120)) };
        var e = Assert.Throws<DaemonStartException>(() => TandemDaemon.Create(TestCluster.Spec, options));
        Assert.Contains("shorter --run-dir", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Directories_are_created_private()
    {
        await _cluster.StartAsync();
        var owner = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        Assert.Equal(owner, File.GetUnixFileMode(_cluster.RunDirectory));
        Assert.Equal(owner, File.GetUnixFileMode(_cluster.StateDirectory));
    }

    [Fact]
    public async Task Subsystems_start_in_stage_order_stop_in_reverse_and_fill_their_status_sections()
    {
        var journal = new Journal();
        var daemon = await _cluster.StartAsync(configure: services =>
        {
            services.AddSingleton(journal);
            // Registered out of order on purpose: the stage decides, not the registration.
            services.AddSubsystem<FakeResources>(DaemonStage.Resources);
            services.AddSubsystem<FakeMembership>(DaemonStage.Membership);
        });
        Assert.Equal(["start membership", "start resources"], journal.Entries);

        using var client = _cluster.Client();
        var status = await client.GetStatusAsync(Ct);
        var peers = status.Section<PeerStatus[]>("peers")!;
        Assert.Equal("beta", Assert.Single(peers).Name);
        Assert.Empty(status.Section<HeartbeatLinkStatus[]>("links")!); // still the placeholder
        var events = await client.GetEventsAsync(0, Ct);
        Assert.Contains(events, e => e.Kind == "peer.up" && e.Subject == "beta");

        await daemon.StopAsync(Ct);
        Assert.Equal(["start membership", "start resources", "stop resources", "stop membership"], journal.Entries);
    }

    [Fact]
    public async Task A_subsystem_that_fails_to_start_stops_the_earlier_ones_and_fails_the_start()
    {
        var journal = new Journal();
        var daemon = _cluster.Create(configure: services =>
        {
            services.AddSingleton(journal);
            services.AddSubsystem<FakeMembership>(DaemonStage.Membership);
            services.AddSubsystem<FailingResources>(DaemonStage.Resources);
        });
        var e = await Assert.ThrowsAnyAsync<Exception>(() => daemon.StartAsync(Ct));
        Assert.Contains("agent missing", e.ToString(), StringComparison.Ordinal);
        Assert.Equal(["start membership", "stop membership"], journal.Entries);
        Assert.Contains(daemon.Events.ReadSince(0), ev => ev.Kind == "daemon.failed" && ev.Subject == "FailingResources");
    }

    [Fact]
    public async Task A_broken_section_shows_its_error_without_hiding_the_others()
    {
        await _cluster.StartAsync(configure: services => services.AddStatusSection<BrokenSection>());
        using var client = _cluster.Client();
        var status = await client.GetStatusAsync(Ct);
        Assert.Contains("disk on fire", status.Section<SectionError>("broken")!.Error, StringComparison.Ordinal);
        Assert.NotNull(status.Section<Tandem.Resources.Groups.GroupStatus[]>("groups"));
    }

    [Fact]
    public async Task Readiness_is_notified_to_the_notify_socket()
    {
        var notifyPath = Path.Combine(_cluster.Root, "notify");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(notifyPath));
        var daemon = await _cluster.StartAsync(_cluster.Options() with { NotifySocket = notifyPath });

        var buffer = new byte[1024];
        var n = await notify.ReceiveAsync(buffer, SocketFlags.None, Ct).AsTask().WithinAsync(TimeSpan.FromSeconds(10), "READY=1 on the notify socket");
        var message = Encoding.UTF8.GetString(buffer, 0, n);
        Assert.StartsWith("READY=1\n", message, StringComparison.Ordinal);
        Assert.Contains("STATUS=node alpha running", message, StringComparison.Ordinal);

        await daemon.StopAsync(Ct);
        n = await notify.ReceiveAsync(buffer, SocketFlags.None, Ct).AsTask().WithinAsync(TimeSpan.FromSeconds(10), "STOPPING=1 on the notify socket");
        Assert.StartsWith("STOPPING=1", Encoding.UTF8.GetString(buffer, 0, n), StringComparison.Ordinal);
    }

    internal sealed class Journal
    {
        private readonly List<string> _entries = [];

        public IReadOnlyList<string> Entries
        {
            get
            {
                lock (_entries)
                {
                    return [.. _entries];
                }
            }
        }

        public void Add(string entry)
        {
            lock (_entries)
            {
                _entries.Add(entry);
            }
        }
    }

    internal sealed class FakeMembership(Journal journal, IEventSink events, NodeContext node) : IHostedService, IStatusSection
    {
        public string Name => "peers";

        public object GetSnapshot() =>
            node.Spec.Nodes.Where(n => n.Name != node.NodeName).Select(n => new PeerStatus(n.Name, "up", 0, false, [])).ToArray();

        public Task StartAsync(CancellationToken cancellationToken)
        {
            journal.Add("start membership");
            events.Publish("peer.up", "beta", "heard on every link");
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken)
        {
            journal.Add("stop membership");
            return Task.CompletedTask;
        }
    }

    internal sealed class FakeResources(Journal journal) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            journal.Add("start resources");
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken)
        {
            journal.Add("stop resources");
            return Task.CompletedTask;
        }
    }

    internal sealed class FailingResources(Journal journal) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => throw new InvalidOperationException("agent missing");

        public Task StopAsync(CancellationToken cancellationToken)
        {
            journal.Add("stop failing");
            return Task.CompletedTask;
        }
    }

    internal sealed class BrokenSection : IStatusSection
    {
        public string Name => "broken";

        public object GetSnapshot() => throw new IOException("disk on fire");
    }
}
