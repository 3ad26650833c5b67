using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Tandem.Core.Events;
using Tandem.Daemon.Control;
using Tandem.Daemon.Status;
using Xunit;

namespace Tandem.Daemon.Tests.Control;

public sealed class ControlApiTests : IAsyncLifetime
{
    private readonly TestCluster _cluster = new();
    private TandemDaemon _daemon = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _daemon = await _cluster.StartAsync();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task Status_names_the_node_its_sources_and_has_the_empty_sections()
    {
        using var client = _cluster.Client();
        var status = await client.GetStatusAsync(Ct);
        Assert.Equal("alpha", status.Node);
        Assert.Equal("test-cluster", status.Cluster);
        Assert.Equal(Environment.ProcessId, status.Pid);
        Assert.Equal(TestCluster.Spec.Sources, status.ConfigSources);
        Assert.Equal(_cluster.StateDirectory, status.StateDirectory);
        Assert.Equal(_cluster.RunDirectory, status.RunDirectory);
        Assert.True(status.UptimeSeconds >= 0);
        Assert.False(string.IsNullOrEmpty(status.Version));
        Assert.Equal(["links", "peers", "volumes", "groups"], status.Sections.Select(kv => kv.Key));
        Assert.Empty(status.Section<HeartbeatLinkStatus[]>("links")!);
        Assert.Empty(status.Section<PeerStatus[]>("peers")!);
        Assert.Empty(status.Section<VolumeStatus[]>("volumes")!);
        Assert.Empty(status.Section<Tandem.Resources.Groups.GroupStatus[]>("groups")!);
    }

    [Fact]
    public async Task Status_json_has_one_top_level_member_per_section()
    {
        using var client = _cluster.Client();
        var json = JsonNode.Parse(await client.GetStatusJsonAsync(Ct))!.AsObject();
        foreach (var name in new[] { "node", "version", "pid", "configSources", "startedAt", "uptimeSeconds", "stateDirectory", "runDirectory", "links", "peers", "volumes", "groups" })
        {
            Assert.True(json.ContainsKey(name), $"status has no member '{name}': {json.ToJsonString()}");
        }
    }

    [Fact]
    public async Task Events_start_at_one_with_config_loaded_then_daemon_started()
    {
        using var client = _cluster.Client();
        var events = await client.GetEventsAsync(0, Ct);
        Assert.Equal(["config.loaded", "daemon.started"], events.Select(e => e.Kind));
        Assert.Equal([1L, 2], events.Select(e => e.Sequence));
        Assert.All(events, e => Assert.Equal("alpha", e.Node));
        Assert.Equal(string.Join(",", TestCluster.Spec.Sources), events[0].Data!["sources"]);
        Assert.Contains(_daemon.ControlSocket, events[1].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Events_since_returns_only_later_events()
    {
        _daemon.Events.Publish("test.one", "x", "because");
        using var client = _cluster.Client();
        var events = await client.GetEventsAsync(2, Ct);
        var only = Assert.Single(events);
        Assert.Equal(3, only.Sequence);
        Assert.Equal("test.one", only.Kind);
    }

    [Theory]
    [InlineData("v1/events?since=abc")]
    [InlineData("v1/events?since=-1")]
    [InlineData("v1/events?follow=maybe")]
    public async Task Bad_query_parameters_are_a_400_with_a_message(string path)
    {
        using var http = RawClient();
        using var response = await http.GetAsync(path, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;
        Assert.False(string.IsNullOrEmpty((string?)body["error"]));
    }

    [Fact]
    public async Task An_unknown_endpoint_is_a_404_that_lists_the_api()
    {
        using var client = _cluster.Client();
        using var http = RawClient();
        using var response = await http.GetAsync("v2/nothing", Ct);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("/v1/status", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Follow_streams_the_backlog_then_live_events_and_ends_when_the_daemon_stops()
    {
        using var client = _cluster.Client();
        var seen = new List<ClusterEvent>();
        var gotStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gotLive = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var follower = Task.Run(async () =>
        {
            await foreach (var ev in client.FollowEventsAsync(0, Ct))
            {
                seen.Add(ev);
                if (ev.Kind == "daemon.started")
                {
                    gotStarted.TrySetResult();
                }
                if (ev.Kind == "test.live")
                {
                    gotLive.TrySetResult();
                }
            }
        }, Ct);

        await gotStarted.Task.WithinAsync(TimeSpan.FromSeconds(10), "the follower to see daemon.started");
        _daemon.Events.Publish("test.live", "x", "published while following");
        await gotLive.Task.WithinAsync(TimeSpan.FromSeconds(10), "the follower to see test.live");

        await _daemon.StopAsync(Ct);
        await follower.WithinAsync(TimeSpan.FromSeconds(10), "the follow stream to end after the stop");
        Assert.Equal(["config.loaded", "daemon.started", "test.live", "daemon.stopping", "daemon.stopped"], seen.Select(e => e.Kind));
        Assert.Equal(Enumerable.Range(1, 5).Select(i => (long)i), seen.Select(e => e.Sequence));
    }

    [Fact]
    public async Task A_follow_outlives_the_request_timeout()
    {
        using var client = new ControlClient(_cluster.RunDirectory) { RequestTimeout = TimeSpan.FromMilliseconds(300) };
        await using var events = client.FollowEventsAsync(2, Ct).GetAsyncEnumerator(Ct);
        var next = events.MoveNextAsync().AsTask();
        await _daemon.Events.WaitForSubscriberCountAsync(1, Ct).WithinAsync(TimeSpan.FromSeconds(10), "the follower to subscribe");
        // Not waiting for a condition: letting the request deadline pass, which must govern only
        // the wait for the answer's headers, never the stream that follows them.
        await Task.Delay(TimeSpan.FromMilliseconds(800), Ct);
        _daemon.Events.Publish("test.late", "x", "published after the request timeout");
        Assert.True(await next.WithinAsync(TimeSpan.FromSeconds(10), "the late event"));
        Assert.Equal("test.late", events.Current.Kind);
    }

    [Fact]
    public async Task Follow_ends_on_the_server_when_the_client_goes_away()
    {
        using (var client = _cluster.Client())
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            await foreach (var ev in client.FollowEventsAsync(0, cts.Token))
            {
                if (ev.Kind == "daemon.started")
                {
                    break;
                }
            }
        }
        // The handler unsubscribes when Kestrel reports the disconnect (RequestAborted).
        await _daemon.Events.WaitForSubscriberCountAsync(0, Ct).WithinAsync(TimeSpan.FromSeconds(10), "the server to drop the follower that disconnected");
    }

    [Fact]
    public async Task Shutdown_stops_the_daemon()
    {
        using var client = _cluster.Client();
        var answer = await client.ShutdownAsync(Ct);
        Assert.Equal("alpha", answer.Node);
        Assert.True(answer.Stopping);
        await _daemon.WaitForShutdownAsync(Ct).WithinAsync(TimeSpan.FromSeconds(10), "the daemon to stop after POST /v1/shutdown");
        Assert.Contains(_daemon.Events.ReadSince(0), e => e.Kind == "daemon.stopping");
    }

    [Fact]
    public void The_socket_is_private_to_its_owner()
    {
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_daemon.ControlSocket));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_cluster.RunDirectory));
    }

    [Fact]
    public async Task A_peer_the_policy_refuses_gets_no_answer()
    {
        await using var other = new TestCluster();
        var denied = new List<PeerCredentials>();
        await other.StartAsync(other.Options() with
        {
            AuthorizePeer = peer =>
            {
                lock (denied)
                {
                    denied.Add(peer);
                }
                return false;
            },
        });
        using var client = other.Client();
        var e = await Assert.ThrowsAsync<DaemonUnreachableException>(() => client.GetStatusAsync(Ct));
        Assert.True(e.Message.Contains("closed the connection", StringComparison.Ordinal), e.ToString());
        lock (denied)
        {
            // HttpClient retries a connection closed before any answer, so there may be several.
            Assert.NotEmpty(denied);
            Assert.All(denied, peer =>
            {
                Assert.Equal(Environment.ProcessId, peer.Pid); // SO_PEERCRED names this very process
                Assert.Equal(PeerCredentials.CurrentUid, peer.Uid);
            });
        }
    }

    [Fact]
    public async Task A_client_without_a_daemon_is_told_to_start_one()
    {
        await using var empty = new TestCluster();
        using var client = empty.Client();
        var e = await Assert.ThrowsAsync<DaemonUnreachableException>(() => client.GetStatusAsync(Ct));
        Assert.Contains($"no daemon is running on {empty.RunDirectory}", e.Message, StringComparison.Ordinal);
        Assert.Contains("tandem daemon", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stale_socket_is_reported_as_refused()
    {
        await using var stale = new TestCluster();
        Directory.CreateDirectory(stale.RunDirectory);
        await StaleSocket.CreateAsync(Path.Combine(stale.RunDirectory, "control.sock"));
        using var client = stale.Client();
        var e = await Assert.ThrowsAsync<DaemonUnreachableException>(() => client.GetStatusAsync(Ct));
        Assert.Contains("connection refused", e.Message, StringComparison.Ordinal);
    }

    private HttpClient RawClient()
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(_daemon.ControlSocket), ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        return new HttpClient(handler) { BaseAddress = new Uri("http://tandem/") };
    }
}
