using System.Threading.Channels;

namespace Tandem.Replication.Transport;

/// <summary>
/// One node's end of an <see cref="InMemoryPeerLink"/>: it accepts the connections the other end
/// dials and dials the other end, with no socket. Made by the link.
/// </summary>
public sealed class InMemoryPeerTransport : IPeerTransport
{
    private readonly InMemoryPeerLink _link;
    private readonly Lock _lock = new();
    private Channel<Stream> _pending = Channel.CreateUnbounded<Stream>();
    private volatile bool _listening;

    internal InMemoryPeerTransport(InMemoryPeerLink link) => _link = link;

    /// <summary>Whether it listens (started and not disposed): a dial to it is refused otherwise.</summary>
    public bool Listening => _listening;

    /// <inheritdoc />
    /// <remarks>A stopped transport may be started again: a node restarted after a crash reuses its end of the link.</remarks>
    public void Start()
    {
        lock (_lock)
        {
            if (_pending.Reader.Completion.IsCompleted)
            {
                _pending = Channel.CreateUnbounded<Stream>();
            }
            _listening = true;
        }
    }

    /// <inheritdoc />
    public async ValueTask<Stream> AcceptAsync(CancellationToken cancellationToken)
    {
        try
        {
            Channel<Stream> pending;
            lock (_lock)
            {
                pending = _pending;
            }
            return await pending.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException ex)
        {
            throw new ObjectDisposedException("the in-memory transport is stopped", ex);
        }
    }

    /// <inheritdoc />
    public ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(_link.Connect(this));
    }

    /// <summary>Queues a connection for <see cref="AcceptAsync"/>; false when not listening.</summary>
    internal bool Offer(Stream server)
    {
        lock (_lock)
        {
            return _listening && _pending.Writer.TryWrite(server);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Channel<Stream> pending;
        lock (_lock)
        {
            _listening = false;
            pending = _pending;
            pending.Writer.TryComplete();
        }
        while (pending.Reader.TryRead(out var s))
        {
            await s.DisposeAsync().ConfigureAwait(false);
        }
    }
}
