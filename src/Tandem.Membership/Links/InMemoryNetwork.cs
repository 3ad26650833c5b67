using System.Threading.Channels;

namespace Tandem.Membership.Links;

/// <summary>
/// Links that carry packets in memory, for tests and simulations: every node attached to a
/// segment receives what the others send on it. Faults are injected per segment or per node:
/// a segment down, a node cut off from a segment, random loss (seeded, reproducible).
/// </summary>
public sealed class InMemoryNetwork
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, List<InMemoryLink>> _segments = new(StringComparer.Ordinal);
    private readonly HashSet<string> _down = new(StringComparer.Ordinal);
    private readonly Dictionary<string, double> _loss = new(StringComparer.Ordinal);
    private readonly Random _random;

    /// <summary>Creates a network.</summary>
    /// <param name="seed">The seed of the loss generator.</param>
    public InMemoryNetwork(int seed = 1) => _random = new Random(seed);

    /// <summary>Attaches a node to a segment.</summary>
    /// <param name="segment">The segment (link) name; the link is named after it.</param>
    /// <param name="node">The node.</param>
    /// <returns>The node's end of the segment.</returns>
    public IHeartbeatLink Attach(string segment, string node)
    {
        var link = new InMemoryLink(this, segment, node);
        lock (_lock)
        {
            if (!_segments.TryGetValue(segment, out var list))
            {
                _segments[segment] = list = [];
            }
            list.Add(link);
        }
        return link;
    }

    /// <summary>Takes a segment down (nothing crosses it) or up again.</summary>
    /// <param name="segment">The segment.</param>
    /// <param name="down">True for down.</param>
    public void SetDown(string segment, bool down)
    {
        lock (_lock)
        {
            if (down) { _down.Add(segment); } else { _down.Remove(segment); }
        }
    }

    /// <summary>Drops a fraction of the packets on a segment.</summary>
    /// <param name="segment">The segment.</param>
    /// <param name="probability">0 to 1.</param>
    public void SetLoss(string segment, double probability)
    {
        lock (_lock)
        {
            _loss[segment] = probability;
        }
    }

    internal void Deliver(InMemoryLink from, ReadOnlyMemory<byte> packet)
    {
        List<InMemoryLink> targets;
        lock (_lock)
        {
            if (_down.Contains(from.Name) || !_segments.TryGetValue(from.Name, out var list))
            {
                return;
            }
            targets = [.. list.Where(l => l != from && !l.Disposed)];
            if (_loss.TryGetValue(from.Name, out var p) && p > 0)
            {
                targets.RemoveAll(_ => _random.NextDouble() < p);
            }
        }
        foreach (var t in targets)
        {
            t.Inbox.Writer.TryWrite(packet.ToArray());
        }
    }

    internal void Detach(InMemoryLink link)
    {
        lock (_lock)
        {
            if (_segments.TryGetValue(link.Name, out var list))
            {
                list.Remove(link);
            }
        }
    }

    /// <summary>One node's end of a segment.</summary>
    internal sealed class InMemoryLink(InMemoryNetwork network, string name, string node) : IHeartbeatLink
    {
        public Channel<byte[]> Inbox { get; } = Channel.CreateUnbounded<byte[]>();

        public string Name { get; } = name;

        public string Node { get; } = node;

        public bool Disposed { get; private set; }

        public long SendErrors => 0;

        public ValueTask SendAsync(ReadOnlyMemory<byte> packet, CancellationToken cancellationToken)
        {
            network.Deliver(this, packet);
            return ValueTask.CompletedTask;
        }

        public async ValueTask<LinkReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            var packet = await Inbox.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var n = Math.Min(packet.Length, buffer.Length);
            packet.AsMemory(0, n).CopyTo(buffer);
            return new LinkReceiveResult(n, null);
        }

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            network.Detach(this);
            Inbox.Writer.TryComplete();
            return ValueTask.CompletedTask;
        }
    }
}
