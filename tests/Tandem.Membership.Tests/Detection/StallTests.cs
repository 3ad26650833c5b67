using System.Diagnostics;
using Xunit;

namespace Tandem.Membership.Tests.Detection;

/// <summary>
/// Real stalls: a peer process frozen with SIGSTOP, and both cores saturated by a CPU hog. Timing
/// as in the issue: keepalive 100 ms, deadtime 500 ms.
/// </summary>
[Collection(RealTimeCollection.Name)]
public sealed class StallTests : IDisposable
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(10);
    private readonly string _state = Directory.CreateTempSubdirectory("tandem-stall-").FullName;

    public void Dispose() => Directory.Delete(_state, true);

    private static string LinkArg(Tandem.Core.Model.UnicastLinkSpec l) =>
        $"{l.Name},{string.Join(',', l.Endpoints.Select(e => $"{e.Node}={e.Address}:{e.Port}"))}";

    [Fact]
    public async Task A_peer_frozen_for_less_than_deadtime_is_not_declared_dead_and_notices_its_own_stall()
    {
        var spec = ServiceHarness.LoopbackSpec();
        var (alpha, alphaEvents) = ServiceHarness.Node(spec, "alpha", _state);
        await using (alpha)
        {
            await alpha.StartAsync(TestContext.Current.CancellationToken);
            using var beta = await PeerProcess.StartAsync("beta", Path.Combine(_state, "beta"), 100, 500,
                [.. spec.Links.Cast<Tandem.Core.Model.UnicastLinkSpec>().Select(LinkArg)]);
            await alphaEvents.WaitAsync("node.active", "beta", s_wait);
            await beta.WaitForLineAsync(l => l.StartsWith("EVENT node.active alpha", StringComparison.Ordinal), "node.active alpha", s_wait);

            beta.Signal("STOP");
            await Task.Delay(300, TestContext.Current.CancellationToken); // the freeze itself, not a wait for a condition
            beta.Signal("CONT");
            await beta.WaitForLineAsync(l => l.StartsWith("EVENT membership.stall beta", StringComparison.Ordinal), "membership.stall", s_wait);
            await Task.Delay(spec.Timing.Deadtime * 2, TestContext.Current.CancellationToken);
            Assert.Empty(alphaEvents.OfKind("node.dead"));
            Assert.DoesNotContain(beta.Lines, l => l.StartsWith("EVENT node.dead", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_node_frozen_for_longer_than_deadtime_is_dead_to_its_peer_but_does_not_kill_the_peer_itself()
    {
        var spec = ServiceHarness.LoopbackSpec();
        var (alpha, alphaEvents) = ServiceHarness.Node(spec, "alpha", _state);
        await using (alpha)
        {
            await alpha.StartAsync(TestContext.Current.CancellationToken);
            using var beta = await PeerProcess.StartAsync("beta", Path.Combine(_state, "beta"), 100, 500,
                [.. spec.Links.Cast<Tandem.Core.Model.UnicastLinkSpec>().Select(LinkArg)]);
            await alphaEvents.WaitAsync("node.active", "beta", s_wait);
            await beta.WaitForLineAsync(l => l.StartsWith("EVENT node.active alpha", StringComparison.Ordinal), "node.active alpha", s_wait);

            var frozen = DateTimeOffset.UtcNow;
            beta.Signal("STOP");
            var dead = await alphaEvents.WaitAsync("node.dead", "beta", s_wait);
            var elapsed = dead.Time - frozen; // the detector's stamp, not this test's wake-up
            Assert.True(elapsed <= spec.Timing.Deadtime + spec.Timing.Keepalive + TimeSpan.FromMilliseconds(50),
                $"dead after {elapsed.TotalMilliseconds:F0} ms");
            await Task.Delay(1000, TestContext.Current.CancellationToken); // keep it frozen well past deadtime
            beta.Signal("CONT");

            // beta notices its own stall and does not blame alpha, whose heartbeats waited in its socket.
            await beta.WaitForLineAsync(l => l.StartsWith("EVENT membership.stall beta", StringComparison.Ordinal), "membership.stall", s_wait);
            await alphaEvents.WaitAsync("node.up", "beta", s_wait, after: dead.Sequence);
            await Task.Delay(spec.Timing.Deadtime * 2, TestContext.Current.CancellationToken);
            Assert.DoesNotContain(beta.Lines, l => l.StartsWith("EVENT node.dead alpha", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Both_cores_saturated_by_a_cpu_hog_give_no_false_death()
    {
        var spec = ServiceHarness.LoopbackSpec();
        var (alpha, alphaEvents) = ServiceHarness.Node(spec, "alpha", _state);
        var (beta, betaEvents) = ServiceHarness.Node(spec, "beta", _state);
        var hogs = new List<Process>();
        await using (alpha)
        await using (beta)
        {
            await alpha.StartAsync(TestContext.Current.CancellationToken);
            await beta.StartAsync(TestContext.Current.CancellationToken);
            await alphaEvents.WaitAsync("node.active", "beta", s_wait);
            await betaEvents.WaitAsync("node.active", "alpha", s_wait);
            try
            {
                for (var i = 0; i < Environment.ProcessorCount * 2; i++)
                {
                    hogs.Add(Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "while :; do :; done"]) { UseShellExecute = false })!);
                }
                await Task.Delay(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken); // the sustained run
            }
            finally
            {
                foreach (var h in hogs)
                {
                    h.Kill();
                    h.WaitForExit();
                    h.Dispose();
                }
            }
            Assert.Empty(alphaEvents.OfKind("node.dead"));
            Assert.Empty(betaEvents.OfKind("node.dead"));
        }
    }
}
