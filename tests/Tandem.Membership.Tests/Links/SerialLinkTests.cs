using System.Diagnostics;
using Tandem.Core.Model;
using Tandem.Membership.Links;
using Xunit;

namespace Tandem.Membership.Tests.Links;

/// <summary>A pty pair from socat stands in for a null-modem cable.</summary>
public sealed class SerialLinkTests : IDisposable
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(10);
    private readonly string _dir = Directory.CreateTempSubdirectory("tandem-serial-").FullName;
    private Process? _socat;

    public void Dispose()
    {
        KillSocat();
        Directory.Delete(_dir, true);
    }

    private async Task<(string A, string B)> StartPtyPairAsync()
    {
        if (!File.Exists("/usr/bin/socat"))
        {
            Assert.Skip("socat is not installed (apt-get install socat)");
        }
        var a = Path.Combine(_dir, "ttyA");
        var b = Path.Combine(_dir, "ttyB");
        var psi = new ProcessStartInfo("/usr/bin/socat", ["-d", "-d", $"pty,raw,echo=0,link={a}", $"pty,raw,echo=0,link={b}"])
        {
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _socat = Process.Start(psi)!;
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _socat.ErrorDataReceived += (_, e) =>
        {
            if (e.Data?.Contains("starting data transfer loop", StringComparison.Ordinal) == true)
            {
                ready.TrySetResult();
            }
        };
        _socat.BeginErrorReadLine();
        try
        {
            await ready.Task.WaitAsync(s_wait);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException("socat did not report its pty pair ready");
        }
        return (a, b);
    }

    private void KillSocat()
    {
        if (_socat is { HasExited: false })
        {
            _socat.Kill();
            _socat.WaitForExit();
        }
        _socat?.Dispose();
        _socat = null;
    }

    [Fact]
    public async Task Packets_cross_a_pty_pair()
    {
        var (a, b) = await StartPtyPairAsync();
        var spec = new SerialLinkSpec("serial0", "/dev/null", 19200)
        {
            DeviceByNode = new Dictionary<string, string> { ["alpha"] = a, ["beta"] = b },
        };
        await using var left = SerialLink.Open(spec, "alpha", Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        await using var right = SerialLink.Open(spec, "beta", Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        Assert.Equal(a, left.Device);
        var buffer = new byte[70000];
        for (var i = 1; i <= 20; i++)
        {
            var packet = Enumerable.Range(0, i * 50).Select(x => (byte)(x + i)).ToArray();
            await left.SendAsync(packet, TestContext.Current.CancellationToken);
            var r = await right.ReceiveAsync(buffer, TestContext.Current.CancellationToken).AsTask().WaitAsync(s_wait, TestContext.Current.CancellationToken);
            Assert.Equal(packet, buffer.AsSpan(0, r.Length).ToArray());
        }
    }

    [Fact]
    public async Task A_serial_line_carries_heartbeats_and_its_loss_is_a_link_death_not_a_node_death()
    {
        var (a, b) = await StartPtyPairAsync();
        var network = new InMemoryNetwork();
        var spec = ServiceHarness.Spec(
        [
            new UnicastLinkSpec("net1", null, 694, []),
            new SerialLinkSpec("serial0", "/dev/null", 19200) { DeviceByNode = new Dictionary<string, string> { ["alpha"] = a, ["beta"] = b } },
        ]);
        var state = Path.Combine(_dir, "state");
        RecordingEventSink Events(string node) => new() { Node = node };
        var alphaEvents = Events("alpha");
        var betaEvents = Events("beta");
        IHeartbeatLink Factory(LinkSpec l, string node) => l is SerialLinkSpec s
            ? SerialLink.Open(s, node, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance)
            : network.Attach(l.Name, node);
        await using var alpha = new MembershipService(spec, "alpha", Path.Combine(state, "alpha"), alphaEvents, TimeProvider.System, Logs.None,
            new MembershipOptions { LinkFactory = l => Factory(l, "alpha") });
        await using var beta = new MembershipService(spec, "beta", Path.Combine(state, "beta"), betaEvents, TimeProvider.System, Logs.None,
            new MembershipOptions { LinkFactory = l => Factory(l, "beta") });
        await alpha.StartAsync(TestContext.Current.CancellationToken);
        await beta.StartAsync(TestContext.Current.CancellationToken);
        await alphaEvents.WaitAsync("link.up", "beta/serial0", s_wait);
        await betaEvents.WaitAsync("link.up", "alpha/serial0", s_wait);

        KillSocat(); // the cable is pulled
        await alphaEvents.WaitAsync("link.dead", "beta/serial0", s_wait);
        await Task.Delay(spec.Timing.Deadtime * 2, TestContext.Current.CancellationToken);
        Assert.Empty(alphaEvents.OfKind("node.dead"));
        Assert.Equal(NodeStatus.Active, alpha.Detector.StatusOf("beta"));
    }
}
