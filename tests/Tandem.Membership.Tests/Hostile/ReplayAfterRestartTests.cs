using Tandem.Membership.Links;
using Tandem.Membership.Wire;
using Xunit;

namespace Tandem.Membership.Tests.Hostile;

/// <summary>
/// Issue #18 item 1: heartbeats of a node, captured before its death and replayed to a peer whose
/// daemon restarted, were all accepted (the dead node was reported alive while the replay ran).
/// The replay windows now survive the restart.
/// </summary>
public sealed class ReplayAfterRestartTests : IDisposable
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(10);
    private readonly string _state = Directory.CreateTempSubdirectory("tandem-replay-").FullName;

    public void Dispose() => Directory.Delete(_state, true);

    [Fact]
    public async Task Packets_captured_before_a_restart_are_rejected_after_it_and_counted()
    {
        var ct = TestContext.Current.CancellationToken;
        var network = new InMemoryNetwork();
        var spec = ServiceHarness.InMemorySpec();
        var spy = network.Attach("net1", "eve");
        var reader = TestCluster.Codec("alpha", cluster: spec.Name);
        var captured = new List<byte[]>();
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stopSpy = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var sniffing = Task.Run(async () =>
        {
            var buffer = new byte[PacketCodec.MaxPacketSize];
            try
            {
                while (true)
                {
                    var n = (await spy.ReceiveAsync(buffer, stopSpy.Token)).Length;
                    if (reader.TryDecode(buffer.AsSpan(0, n), out var d) == RejectReason.None && d.Sender == "beta")
                    {
                        lock (captured)
                        {
                            captured.Add(buffer[..n]);
                            if (captured.Count >= 30)
                            {
                                enough.TrySetResult();
                            }
                        }
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }, ct);

        var (alpha1, alpha1Events) = ServiceHarness.Node(spec, "alpha", _state, network);
        var (beta, _) = ServiceHarness.Node(spec, "beta", _state, network);
        await using (beta)
        {
            await using (alpha1)
            {
                await alpha1.StartAsync(ct);
                await beta.StartAsync(ct);
                await alpha1Events.WaitAsync("node.up", "beta", s_wait);
                await enough.Task.WaitAsync(s_wait, ct);
                await beta.AbandonAsync(); // beta dies without a goodbye
                // Declared dead only after deadtime of silence: by then alpha has read every packet beta sent.
                await alpha1Events.WaitAsync("node.dead", "beta", s_wait);
            }
        }
        await stopSpy.CancelAsync();
        await sniffing;
        byte[][] replay;
        lock (captured)
        {
            replay = [.. captured];
        }

        // alpha's daemon restarts (same state directory), then the attacker replays beta's packets.
        var (alpha2, alpha2Events) = ServiceHarness.Node(spec, "alpha", _state, network);
        await using (alpha2)
        {
            await alpha2.StartAsync(ct);
            var injector = network.Attach("net1", "eve");
            foreach (var packet in replay)
            {
                await injector.SendAsync(packet, ct);
            }
            // A fresh packet of a new run of beta, after the replay on the same ordered link: once
            // alpha reports it, every replayed packet before it has been judged.
            var honest = TestCluster.Codec("beta", cluster: spec.Name);
            var payload = new byte[HeartbeatPayload.Size];
            new HeartbeatPayload(NodeStatus.Active, 500, 100, 0, 0).Write(payload);
            var fresh = new byte[honest.PacketSize(payload.Length)];
            honest.Encode(PacketType.Heartbeat, ulong.MaxValue / 2, 1, payload, fresh);
            await injector.SendAsync(fresh, ct);
            await alpha2Events.WaitAsync("node.up", "beta", s_wait);

            Assert.Single(alpha2Events.OfKind("node.up"), e => e.Subject == "beta");
            Assert.Equal(replay.Length, alpha2.Rejects[RejectReason.Replayed] + alpha2.Rejects[RejectReason.Stale]);
            await injector.DisposeAsync();
        }
        await spy.DisposeAsync();
    }
}
