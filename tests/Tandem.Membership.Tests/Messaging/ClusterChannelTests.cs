using System.Text;
using Tandem.Membership.Links;
using Tandem.Membership.Messaging;
using Xunit;

namespace Tandem.Membership.Tests.Messaging;

public sealed class ClusterChannelTests : IDisposable
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(20);
    private readonly string _state = Directory.CreateTempSubdirectory("tandem-ch-").FullName;

    public void Dispose() => Directory.Delete(_state, true);

    private static async Task<List<ClusterMessage>> CollectAsync(ClusterChannel channel, int count, string phase)
    {
        using var cts = new CancellationTokenSource(s_wait);
        var got = new List<ClusterMessage>();
        try
        {
            await foreach (var m in channel.ReadAllAsync(cts.Token))
            {
                got.Add(m);
                if (got.Count == count)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{phase}: received {got.Count} of {count} messages within {s_wait.TotalSeconds} s");
        }
        return got;
    }

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(1.0, 0.0)]  // one link carries nothing
    [InlineData(0.5, 0.3)]  // both lossy
    public async Task Messages_arrive_once_and_in_order_despite_loss(double lossNet1, double lossNet2)
    {
        var network = new InMemoryNetwork(seed: 3);
        var spec = ServiceHarness.InMemorySpec();
        var (alpha, alphaEvents) = ServiceHarness.Node(spec, "alpha", _state, network);
        var (beta, _) = ServiceHarness.Node(spec, "beta", _state, network);
        await using (alpha)
        await using (beta)
        {
            await alpha.StartAsync(TestContext.Current.CancellationToken);
            await beta.StartAsync(TestContext.Current.CancellationToken);
            await alphaEvents.WaitAsync("node.active", "beta", s_wait);
            network.SetLoss("net1", lossNet1);
            network.SetLoss("net2", lossNet2);

            const int count = 200;
            var receiving = CollectAsync(beta.Channel, count, "beta receiving");
            var sends = Enumerable.Range(1, count)
                .Select(i => alpha.Channel.SendAsync("beta", Encoding.UTF8.GetBytes($"msg {i}"), TestContext.Current.CancellationToken))
                .ToArray();
            await Task.WhenAll(sends).WaitAsync(s_wait, TestContext.Current.CancellationToken);
            var got = await receiving;

            Assert.Equal(Enumerable.Range(1, count).Select(i => $"msg {i}"), got.Select(m => Encoding.UTF8.GetString(m.Payload.Span)));
            Assert.All(got, m => Assert.Equal("alpha", m.From));
            Assert.Equal(Enumerable.Range(1, count).Select(i => (ulong)i), got.Select(m => m.Sequence));
            if (lossNet1 + lossNet2 > 0.5)
            {
                Assert.True(alpha.Channel.Retransmits > 0 || lossNet2 == 0, "lossy links but no retransmission happened");
            }
            Assert.Equal(0, alpha.Channel.Unacknowledged);
        }
    }

    [Fact]
    public async Task Both_directions_work_at_once()
    {
        var network = new InMemoryNetwork();
        var spec = ServiceHarness.InMemorySpec();
        var (alpha, alphaEvents) = ServiceHarness.Node(spec, "alpha", _state, network);
        var (beta, betaEvents) = ServiceHarness.Node(spec, "beta", _state, network);
        await using (alpha)
        await using (beta)
        {
            await alpha.StartAsync(TestContext.Current.CancellationToken);
            await beta.StartAsync(TestContext.Current.CancellationToken);
            await alphaEvents.WaitAsync("node.active", "beta", s_wait);
            await betaEvents.WaitAsync("node.active", "alpha", s_wait);
            var atBeta = CollectAsync(beta.Channel, 20, "beta");
            var atAlpha = CollectAsync(alpha.Channel, 20, "alpha");
            await Task.WhenAll(Enumerable.Range(0, 20).SelectMany(i => new[]
            {
                alpha.Channel.SendAsync("beta", new[] { (byte)i }, TestContext.Current.CancellationToken),
                beta.Channel.SendAsync("alpha", new[] { (byte)(100 + i) }, TestContext.Current.CancellationToken),
            })).WaitAsync(s_wait, TestContext.Current.CancellationToken);
            Assert.Equal(Enumerable.Range(0, 20).Select(i => (byte)i), (await atBeta).Select(m => m.Payload.Span[0]));
            Assert.Equal(Enumerable.Range(100, 20).Select(i => (byte)i), (await atAlpha).Select(m => m.Payload.Span[0]));
        }
    }

    [Fact]
    public async Task A_message_sent_before_the_peer_is_heard_waits_and_is_delivered()
    {
        var network = new InMemoryNetwork();
        var spec = ServiceHarness.InMemorySpec();
        var (alpha, _) = ServiceHarness.Node(spec, "alpha", _state, network);
        var (beta, _) = ServiceHarness.Node(spec, "beta", _state, network);
        await using (alpha)
        await using (beta)
        {
            await alpha.StartAsync(TestContext.Current.CancellationToken);
            var send = alpha.Channel.SendAsync("beta", "early"u8.ToArray(), TestContext.Current.CancellationToken);
            Assert.False(send.IsCompleted);
            await beta.StartAsync(TestContext.Current.CancellationToken);
            var got = await CollectAsync(beta.Channel, 1, "beta");
            await send.WaitAsync(s_wait, TestContext.Current.CancellationToken);
            Assert.Equal("early", Encoding.UTF8.GetString(got[0].Payload.Span));
        }
    }

    [Fact]
    public async Task Unacknowledged_messages_fail_when_the_peer_restarts()
    {
        var network = new InMemoryNetwork();
        var spec = ServiceHarness.InMemorySpec();
        var (alpha, alphaEvents) = ServiceHarness.Node(spec, "alpha", _state, network);
        await using (alpha)
        {
            await alpha.StartAsync(TestContext.Current.CancellationToken);
            var (beta1, _) = ServiceHarness.Node(spec, "beta", _state, network);
            await beta1.StartAsync(TestContext.Current.CancellationToken);
            await alphaEvents.WaitAsync("node.up", "beta", s_wait);
            await beta1.DisposeAsync();
            var lost = alpha.Channel.SendAsync("beta", "to the old run"u8.ToArray(), TestContext.Current.CancellationToken);

            var (beta2, _) = ServiceHarness.Node(spec, "beta", _state, network);
            await using (beta2)
            {
                await beta2.StartAsync(TestContext.Current.CancellationToken);
                await Assert.ThrowsAsync<PeerRestartedException>(() => lost.WaitAsync(s_wait, TestContext.Current.CancellationToken));
                // The new run gets new messages.
                var receiving = CollectAsync(beta2.Channel, 1, "beta2");
                await alpha.Channel.SendAsync("beta", "to the new run"u8.ToArray(), TestContext.Current.CancellationToken).WaitAsync(s_wait, TestContext.Current.CancellationToken);
                Assert.Equal("to the new run", Encoding.UTF8.GetString((await receiving)[0].Payload.Span));
            }
        }
    }

    [Fact]
    public async Task A_routed_prefix_goes_to_its_handler_in_order_and_everything_else_to_the_stream()
    {
        var network = new InMemoryNetwork();
        var spec = ServiceHarness.InMemorySpec();
        var (alpha, alphaEvents) = ServiceHarness.Node(spec, "alpha", _state, network);
        var (beta, _) = ServiceHarness.Node(spec, "beta", _state, network);
        await using (alpha)
        await using (beta)
        {
            await alpha.StartAsync(TestContext.Current.CancellationToken);
            await beta.StartAsync(TestContext.Current.CancellationToken);
            await alphaEvents.WaitAsync("node.active", "beta", s_wait);
            var routed = System.Threading.Channels.Channel.CreateUnbounded<ClusterMessage>();
            beta.Channel.Route(0xD0, m => routed.Writer.TryWrite(m));
            Assert.Throws<InvalidOperationException>(() => beta.Channel.Route(0xD0, _ => { }));

            var others = CollectAsync(beta.Channel, 10, "beta's stream");
            await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
                alpha.Channel.SendAsync("beta", i % 2 == 0 ? new byte[] { 0xD0, (byte)i } : new byte[] { 1, (byte)i }, TestContext.Current.CancellationToken)))
                .WaitAsync(s_wait, TestContext.Current.CancellationToken);

            Assert.Equal(Enumerable.Range(0, 10).Select(i => (byte)(2 * i + 1)), (await others).Select(m => m.Payload.Span[1]));
            var got = new List<byte>();
            using var cts = new CancellationTokenSource(s_wait);
            while (got.Count < 10)
            {
                var m = await routed.Reader.ReadAsync(cts.Token);
                Assert.Equal("alpha", m.From);
                got.Add(m.Payload.Span[1]);
            }
            Assert.Equal(Enumerable.Range(0, 10).Select(i => (byte)(2 * i)), got);
        }
    }
}
