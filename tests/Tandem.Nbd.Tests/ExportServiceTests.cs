using Tandem.Core.Events;
using Tandem.Core.Volumes;
using Tandem.Nbd.Protocol;

namespace Tandem.Nbd.Tests;

public sealed class ExportServiceTests
{
    private sealed class RecordingSink : IEventSink
    {
        private readonly Lock _lock = new();
        private readonly List<ClusterEvent> _events = [];
        private readonly SemaphoreSlim _published = new(0);

        public IReadOnlyList<ClusterEvent> Events
        {
            get
            {
                lock (_lock)
                {
                    return [.. _events];
                }
            }
        }

        public ClusterEvent Publish(string kind, string subject, string reason, IReadOnlyDictionary<string, string>? data = null)
        {
            ClusterEvent e;
            lock (_lock)
            {
                e = new ClusterEvent(_events.Count + 1, DateTimeOffset.UnixEpoch, "test", kind, subject, reason) { Data = data };
                _events.Add(e);
            }
            _published.Release();
            return e;
        }

        public async Task WaitForAsync(string kind)
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (!Events.Any(e => e.Kind == kind))
            {
                try
                {
                    await _published.WaitAsync(deadline.Token);
                }
                catch (OperationCanceledException)
                {
                    Assert.Fail($"no {kind} event within 10 s; saw: {string.Join(", ", Events.Select(e => e.Kind))}");
                }
            }
        }
    }

    [Fact]
    public async Task Status_and_events_follow_exports_and_clients()
    {
        var dir = TestServer.TempDirectory();
        var sink = new RecordingSink();
        try
        {
            await using var volume = FileVolume.Create(Path.Combine(dir, "r0.img"), 4 << 20);
            await using var service = new NbdExportService(sink);
            var socket = Path.Combine(dir, "r0.sock");
            await service.StartAsync([new NbdExportDefinition("r0", volume, socket)
            {
                Device = "/dev/drbd0",
                TcpEndPoint = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0),
                Options = new NbdServerOptions { AllowPlainTcp = true },
            }], TestContext.Current.CancellationToken);
            Assert.Equal("volumes", service.Name);
            Assert.Contains(sink.Events, e => e.Kind == "nbd.export.started" && e.Subject == "r0");

            using (var client = new RawClient(socket))
            {
                client.Go("r0");
                await sink.WaitForAsync("nbd.client.connected");
                var snapshot = service.GetSnapshot()["r0"];
                Assert.Equal(4L << 20, snapshot.Size);
                Assert.Equal(socket, snapshot.Socket);
                Assert.StartsWith("127.0.0.1:", snapshot.Tcp, StringComparison.Ordinal);
                Assert.Equal("/dev/drbd0", snapshot.Device);
                Assert.Equal(1, snapshot.ClientCount);
                Assert.Equal("r0", Assert.Single(snapshot.Clients).Export);
                client.SendRequest(NbdCommand.Disconnect, 0, 0, 0);
                Assert.True(client.ServerClosed());
            }
            await sink.WaitForAsync("nbd.client.disconnected");
            Assert.Equal(0, service.GetSnapshot()["r0"].ClientCount);

            // The TCP listener serves the same export.
            var tcp = service.FindServer("r0")!.TcpEndPoint!;
            if (ExternalTool.Exists("nbdinfo"))
            {
                var info = await ExternalTool.RunOkAsync("nbdinfo", "--size", $"nbd://127.0.0.1:{tcp.Port}/r0");
                Assert.Equal((4L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture), info.Output.Trim());
            }

            Assert.True(await service.StopExportAsync("r0", TestContext.Current.CancellationToken));
            Assert.Contains(sink.Events, e => e.Kind == "nbd.export.stopped");
            Assert.False(File.Exists(socket));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_live_socket_is_not_taken_over_but_a_stale_one_is()
    {
        await using var first = await TestServer.StartAsync();
        await using var volume = FileVolume.Create(Path.Combine(first.Directory, "second.img"), 1 << 20);
        var second = new NbdServer([new NbdExport("x", volume)], new NbdServerOptions { SocketPath = first.SocketPath });
        await Assert.ThrowsAsync<IOException>(() => second.StartAsync(TestContext.Current.CancellationToken));

        var stalePath = Path.Combine(first.Directory, "stale.sock");
        using (var stale = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified))
        {
            stale.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(stalePath));
        }
        await using var third = new NbdServer([new NbdExport("x", volume)], new NbdServerOptions { SocketPath = stalePath });
        await third.StartAsync(TestContext.Current.CancellationToken);
        using var client = new RawClient(stalePath);
        Assert.Equal(1UL << 20, client.Go("x").Size);
    }
}
