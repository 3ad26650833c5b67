using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Tandem.Membership.Wire;

namespace Tandem.Membership.Messaging;

/// <summary>
/// Reliable, per-sender ordered, authenticated messages between nodes, carried by the membership
/// links (the resource manager negotiates standby, takeover and failback over it). Each message
/// travels in an authenticated <see cref="PacketType.Data"/> packet on every link; the receiver
/// delivers each sequence number once and in order and acknowledges cumulatively; the sender
/// retransmits what is unacknowledged every <see cref="RetransmitInterval"/>.
/// </summary>
/// <remarks>
/// Streams are tied to both runs: a message names the generation of the destination it was sent
/// to, and the destination drops messages meant for an earlier run of itself. When the destination
/// restarts, messages still unacknowledged fail with <see cref="PeerRestartedException"/>.
/// <code>
/// Data payload:  u8 N, N bytes destination name, u64 destination generation, u64 message sequence, message bytes
/// Ack payload:   u8 N, N bytes destination name (the data's sender), u64 its generation, u64 highest sequence delivered in order
/// </code>
/// </remarks>
public sealed partial class ClusterChannel : IAsyncDisposable
{
    /// <summary>The largest message.</summary>
    public const int MaxMessageSize = PacketCodec.MaxPayloadSize - 1 - PacketHeader.MaxNameLength - 16;

    /// <summary>How far past the next expected message a receiver buffers out-of-order ones.</summary>
    public const int ReceiveWindow = 1024;

    private readonly Lock _lock = new();
    private readonly string _localNode;
    private readonly ulong _localGeneration;
    private readonly Func<PacketType, ReadOnlyMemory<byte>, CancellationToken, ValueTask> _send;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<string, Outgoing> _out = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Incoming> _in = new(StringComparer.OrdinalIgnoreCase);
    private readonly Channel<ClusterMessage> _received = Channel.CreateUnbounded<ClusterMessage>();
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<byte, Action<ClusterMessage>> _routes = [];
    private Task? _retransmitLoop;
    private long _retransmits;

    /// <summary>Creates a channel.</summary>
    /// <param name="localNode">This node's name.</param>
    /// <param name="localGeneration">This node's generation.</param>
    /// <param name="send">Sends one packet payload of a type on every link.</param>
    /// <param name="retransmitInterval">How long an unacknowledged message waits before it is sent again.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">The logger.</param>
    public ClusterChannel(string localNode, ulong localGeneration, Func<PacketType, ReadOnlyMemory<byte>, CancellationToken, ValueTask> send,
        TimeSpan retransmitInterval, TimeProvider time, ILogger logger)
    {
        _localNode = localNode;
        _localGeneration = localGeneration;
        _send = send;
        RetransmitInterval = retransmitInterval;
        _time = time;
        _logger = logger;
    }

    /// <summary>How long an unacknowledged message waits before it is sent again.</summary>
    public TimeSpan RetransmitInterval { get; }

    /// <summary>Messages sent again because no acknowledgement came in time.</summary>
    public long Retransmits => Interlocked.Read(ref _retransmits);

    /// <summary>Messages waiting for an acknowledgement, over all peers.</summary>
    public int Unacknowledged
    {
        get { lock (_lock) { return _out.Values.Sum(o => o.Unacked.Count + o.Waiting.Count); } }
    }

    /// <summary>Starts retransmitting.</summary>
    public void Start() => _retransmitLoop = RetransmitLoopAsync(_stop.Token);

    /// <summary>
    /// Sends a message to a node. The task completes when the node acknowledged it; until then it
    /// is retransmitted on every link. Messages to one node are delivered in the order of the calls.
    /// </summary>
    /// <param name="node">The destination.</param>
    /// <param name="payload">The message, at most <see cref="MaxMessageSize"/> bytes.</param>
    /// <param name="cancellationToken">Stops waiting (the message may still be delivered).</param>
    /// <returns>A task that completes on acknowledgement, or fails with <see cref="PeerRestartedException"/>.</returns>
    public async Task SendAsync(string node, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(payload.Length, MaxMessageSize);
        var nameBytes = Encoding.UTF8.GetBytes(node);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(nameBytes.Length, PacketHeader.MaxNameLength, nameof(node));
        var pending = new Pending(payload.ToArray());
        byte[]? packet = null;
        lock (_lock)
        {
            var o = GetOutgoing(node);
            if (o.Generation == 0)
            {
                o.Waiting.Enqueue(pending); // sent once we hear from the node and learn its generation
            }
            else
            {
                packet = Assign(o, pending);
            }
        }
        if (packet is not null)
        {
            await _send(PacketType.Data, packet, cancellationToken).ConfigureAwait(false);
        }
        await pending.Done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every message delivered to this node, in order per sender.</summary>
    /// <param name="cancellationToken">Ends the stream.</param>
    /// <returns>The messages.</returns>
    public async IAsyncEnumerable<ClusterMessage> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var m in _received.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return m;
        }
    }

    /// <summary>
    /// Hands every message whose first byte is <paramref name="prefix"/> to <paramref name="handler"/>
    /// instead of <see cref="ReadAllAsync"/>, so that another protocol can share the channel with
    /// the resource manager's (whose messages start with their version, 1). The handler runs under
    /// the channel's lock, in order per sender: it must only queue the message.
    /// </summary>
    /// <param name="prefix">The first byte of the protocol's messages.</param>
    /// <param name="handler">Takes each message.</param>
    /// <exception cref="InvalidOperationException">The prefix is already routed.</exception>
    public void Route(byte prefix, Action<ClusterMessage> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (_lock)
        {
            if (!_routes.TryAdd(prefix, handler))
            {
                throw new InvalidOperationException($"messages starting with {prefix} are already routed");
            }
        }
    }

    /// <summary>Learns a peer's generation from any authenticated packet; sends what waited for it.</summary>
    /// <param name="node">The peer.</param>
    /// <param name="generation">Its generation.</param>
    public void OnPeerGeneration(string node, ulong generation)
    {
        List<byte[]>? toSend = null;
        lock (_lock)
        {
            var o = GetOutgoing(node);
            if (generation <= o.Generation)
            {
                return;
            }
            if (o.Generation != 0)
            {
                foreach (var p in o.Unacked.Values)
                {
                    p.Done.TrySetException(new PeerRestartedException(
                        $"{node} restarted (generation {o.Generation} -> {generation}) before acknowledging"));
                }
                o.Unacked.Clear();
            }
            o.Generation = generation;
            o.NextSequence = 1;
            toSend = [];
            while (o.Waiting.TryDequeue(out var w))
            {
                toSend.Add(Assign(o, w));
            }
        }
        foreach (var packet in toSend)
        {
            _ = SendQuietlyAsync(PacketType.Data, packet);
        }
    }

    /// <summary>Handles an authenticated Data or Ack packet.</summary>
    /// <param name="sender">The sender.</param>
    /// <param name="senderGeneration">The sender's generation.</param>
    /// <param name="type">The packet type.</param>
    /// <param name="payload">The payload.</param>
    public void OnPacket(string sender, ulong senderGeneration, PacketType type, ReadOnlySpan<byte> payload)
    {
        if (!TryReadAddress(payload, out var dest, out var destGeneration, out var sequence, out var rest)
            || !string.Equals(dest, _localNode, StringComparison.OrdinalIgnoreCase) || destGeneration != _localGeneration)
        {
            return; // for another node, or for an earlier run of this one
        }
        if (type == PacketType.Ack)
        {
            OnAck(sender, sequence);
            return;
        }
        byte[] ack;
        lock (_lock)
        {
            if (!_in.TryGetValue(sender, out var i) || senderGeneration > i.Generation)
            {
                _in[sender] = i = new Incoming { Generation = senderGeneration };
            }
            if (senderGeneration < i.Generation)
            {
                return;
            }
            if (sequence > i.Delivered + 1 && sequence <= i.Delivered + ReceiveWindow)
            {
                i.Buffered.TryAdd(sequence, rest.ToArray());
            }
            else if (sequence == i.Delivered + 1)
            {
                Deliver(sender, i, sequence, rest.ToArray());
                while (i.Buffered.Remove(i.Delivered + 1, out var next))
                {
                    Deliver(sender, i, i.Delivered + 1, next);
                }
            }
            ack = Address(sender, senderGeneration, i.Delivered, []);
        }
        _ = SendQuietlyAsync(PacketType.Ack, ack);
    }

    /// <summary>Counters for status.</summary>
    /// <returns>Unacknowledged messages and retransmits.</returns>
    public (int Unacknowledged, long Retransmits) Counters() => (Unacknowledged, Retransmits);

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_retransmitLoop is not null)
        {
            await _retransmitLoop.ConfigureAwait(false);
        }
        _received.Writer.TryComplete();
        lock (_lock)
        {
            foreach (var o in _out.Values)
            {
                foreach (var p in o.Unacked.Values.Concat(o.Waiting))
                {
                    p.Done.TrySetCanceled();
                }
            }
        }
        _stop.Dispose();
    }

    private void Deliver(string sender, Incoming i, ulong sequence, byte[] message)
    {
        i.Delivered = sequence;
        var delivered = new ClusterMessage(sender, i.Generation, sequence, message);
        if (message.Length > 0 && _routes.TryGetValue(message[0], out var route))
        {
            route(delivered);
            return;
        }
        _received.Writer.TryWrite(delivered);
    }

    private void OnAck(string sender, ulong upTo)
    {
        lock (_lock)
        {
            if (!_out.TryGetValue(sender, out var o))
            {
                return;
            }
            while (o.Unacked.Count > 0 && o.Unacked.Keys.First() <= upTo)
            {
                var first = o.Unacked.Keys.First();
                o.Unacked.Remove(first, out var p);
                p!.Done.TrySetResult();
            }
        }
    }

    private byte[] Assign(Outgoing o, Pending p)
    {
        p.Sequence = o.NextSequence++;
        p.Packet = Address(o.Node, o.Generation, p.Sequence, p.Payload);
        p.LastSent = _time.GetTimestamp();
        o.Unacked[p.Sequence] = p;
        return p.Packet;
    }

    private Outgoing GetOutgoing(string node)
    {
        if (!_out.TryGetValue(node, out var o))
        {
            _out[node] = o = new Outgoing(node);
        }
        return o;
    }

    private async Task RetransmitLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(RetransmitInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                List<byte[]> due = [];
                lock (_lock)
                {
                    var now = _time.GetTimestamp();
                    foreach (var o in _out.Values)
                    {
                        foreach (var p in o.Unacked.Values.Take(64))
                        {
                            if (_time.GetElapsedTime(p.LastSent, now) >= RetransmitInterval)
                            {
                                p.LastSent = now;
                                due.Add(p.Packet!);
                            }
                        }
                    }
                }
                foreach (var packet in due)
                {
                    Interlocked.Increment(ref _retransmits);
                    await SendQuietlyAsync(PacketType.Data, packet).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task SendQuietlyAsync(PacketType type, byte[] payload)
    {
        try
        {
            await _send(type, payload, _stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
#pragma warning disable CA1031 // a failed send is retried by the retransmit loop; it must not fault an unobserved task
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogSendFailed(_logger, type, ex);
        }
    }

    private static byte[] Address(string dest, ulong generation, ulong sequence, ReadOnlySpan<byte> body)
    {
        var name = Encoding.UTF8.GetBytes(dest);
        var buffer = new byte[1 + name.Length + 16 + body.Length];
        buffer[0] = (byte)name.Length;
        name.CopyTo(buffer, 1);
        BinaryPrimitives.WriteUInt64BigEndian(buffer.AsSpan(1 + name.Length), generation);
        BinaryPrimitives.WriteUInt64BigEndian(buffer.AsSpan(9 + name.Length), sequence);
        body.CopyTo(buffer.AsSpan(17 + name.Length));
        return buffer;
    }

    private static bool TryReadAddress(ReadOnlySpan<byte> payload, out string dest, out ulong generation, out ulong sequence, out ReadOnlySpan<byte> rest)
    {
        dest = "";
        generation = sequence = 0;
        rest = default;
        if (payload.Length < 1 || payload[0] is 0 or > PacketHeader.MaxNameLength || payload.Length < 17 + payload[0])
        {
            return false;
        }
        var n = payload[0];
        dest = Encoding.UTF8.GetString(payload.Slice(1, n));
        generation = BinaryPrimitives.ReadUInt64BigEndian(payload[(1 + n)..]);
        sequence = BinaryPrimitives.ReadUInt64BigEndian(payload[(9 + n)..]);
        rest = payload[(17 + n)..];
        return sequence != 0;
    }

    private sealed class Pending(byte[] payload)
    {
        public byte[] Payload { get; } = payload;
        public ulong Sequence { get; set; }
        public byte[]? Packet { get; set; }
        public long LastSent { get; set; }
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class Outgoing(string node)
    {
        public string Node { get; } = node;
        public ulong Generation { get; set; }
        public ulong NextSequence { get; set; } = 1;
        public SortedDictionary<ulong, Pending> Unacked { get; } = [];
        public Queue<Pending> Waiting { get; } = new();
    }

    private sealed class Incoming
    {
        public ulong Generation { get; init; }
        public ulong Delivered { get; set; }
        public Dictionary<ulong, byte[]> Buffered { get; } = [];
    }

    [LoggerMessage(EventId = 1400, EventName = "Tandem.Membership.ChannelSendFailed", Level = LogLevel.Warning,
        Message = "Cluster channel: sending a {Type} packet failed; it is retried")]
    private static partial void LogSendFailed(ILogger logger, PacketType type, Exception exception);
}
