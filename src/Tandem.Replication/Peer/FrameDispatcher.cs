using Tandem.Replication.Protocol;

namespace Tandem.Replication.Peer;

/// <summary>
/// What the receive loop does with each frame type after the handshake: one handler per type,
/// registered by the part of the volume whose job the frame is (the transfer log takes the acks,
/// the resync target the resync data, ...). A frame type nobody registered ends the session.
/// </summary>
internal sealed class FrameDispatcher
{
    private static readonly Task<bool> CompletedTrue = Task.FromResult(true);

    private readonly Entry[] _handlers = new Entry[64];

    /// <summary>Handles a frame at once (an ack, a notice): no await, no allocation.</summary>
    public FrameDispatcher On(FrameType type, Action<PeerSession, byte[]> handler)
    {
        Slot(type) = new Entry(handler, null);
        return this;
    }

    /// <summary>Handles a frame that waits for I/O. The handler returns false when its payload's
    /// pooled buffer may still be read (a local write that timed out) and must not be reused.</summary>
    public FrameDispatcher On(FrameType type, Func<PeerSession, ReceivedFrame, CancellationToken, Task<bool>> handler)
    {
        Slot(type) = new Entry(null, handler);
        return this;
    }

    /// <summary>Handles a frame that waits for I/O and whose buffer is never kept.</summary>
    public FrameDispatcher On(FrameType type, Func<PeerSession, byte[], CancellationToken, Task> handler) =>
        On(type, async (s, f, ct) =>
        {
            await handler(s, f.Buffer, ct).ConfigureAwait(false);
            return true;
        });

    /// <summary>Lets a part of the volume register the handlers of the frames that are its job.</summary>
    public FrameDispatcher With(Func<FrameDispatcher, FrameDispatcher> register) => register(this);

    /// <summary>Runs the frame's handler.</summary>
    /// <returns>Whether the frame's buffer may be released.</returns>
    /// <exception cref="ProtocolException">No handler for the frame's type.</exception>
    public Task<bool> DispatchAsync(PeerSession session, ReceivedFrame frame, CancellationToken cancellationToken)
    {
        var index = (int)frame.Type;
        var entry = index < _handlers.Length ? _handlers[index] : default;
        if (entry.Now is { } now)
        {
            now(session, frame.Buffer);
            return CompletedTrue;
        }
        if (entry.Later is { } later)
        {
            return later(session, frame, cancellationToken);
        }
        throw new ProtocolException($"unexpected {frame.Type} frame after the handshake");
    }

    private ref Entry Slot(FrameType type)
    {
        var index = (int)type;
        if (index >= _handlers.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "frame type beyond the dispatch table");
        }
        if (_handlers[index].Now is not null || _handlers[index].Later is not null)
        {
            throw new InvalidOperationException($"{type} has a handler already");
        }
        return ref _handlers[index];
    }

    private readonly record struct Entry(Action<PeerSession, byte[]>? Now, Func<PeerSession, ReceivedFrame, CancellationToken, Task<bool>>? Later);
}
