namespace Tandem.Replication.Transport;

/// <summary>
/// The wire between two replicas in one process: two transports (<see cref="First"/>,
/// <see cref="Second"/>), each given to one <see cref="ReplicatedVolume"/>, and the controls a test
/// or a simulation needs to play the network: cut it (connections fail, new ones are refused) and
/// restore it, drop the connections (the nodes reconnect at once), pause and resume delivery
/// (bytes are held; a writer waits once the capacity of a direction is full, as on a full socket).
/// </summary>
public sealed class InMemoryPeerLink
{
    /// <summary>Bytes a direction holds before its writer waits (a socket buffer's order of magnitude).</summary>
    public const int DefaultCapacity = 4 << 20;

    private readonly Lock _lock = new();
    private readonly List<(InMemoryWire Forward, InMemoryWire Back)> _connections = [];
    private readonly int _capacity;
    private bool _cut;
    private bool _paused;
    private int _made;

    /// <summary>A link with both transports.</summary>
    /// <param name="capacity">Bytes each direction of a connection holds before its writer waits.</param>
    public InMemoryPeerLink(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _capacity = capacity;
        First = new InMemoryPeerTransport(this);
        Second = new InMemoryPeerTransport(this);
    }

    /// <summary>One node's transport.</summary>
    public InMemoryPeerTransport First { get; }

    /// <summary>The other node's transport.</summary>
    public InMemoryPeerTransport Second { get; }

    /// <summary>Connections made so far (a reconnect makes one more).</summary>
    public int ConnectionsMade
    {
        get
        {
            lock (_lock)
            {
                return _made;
            }
        }
    }

    /// <summary>Whether the link is cut.</summary>
    public bool IsCut
    {
        get
        {
            lock (_lock)
            {
                return _cut;
            }
        }
    }

    /// <summary>A network partition: every connection fails now, and dials are refused until <see cref="Restore"/>.</summary>
    public void Cut()
    {
        lock (_lock)
        {
            _cut = true;
            BreakLocked("the link was cut");
        }
    }

    /// <summary>Ends a partition (and a pause): dials succeed again.</summary>
    public void Restore()
    {
        lock (_lock)
        {
            _cut = false;
        }
        Resume();
    }

    /// <summary>Every connection fails now (a reset); the nodes may reconnect at once.</summary>
    public void Drop()
    {
        lock (_lock)
        {
            BreakLocked("the connection was dropped");
        }
    }

    /// <summary>Holds what the connections carry (now and made later) until <see cref="Resume"/>: a frozen network or peer.</summary>
    public void Pause()
    {
        lock (_lock)
        {
            _paused = true;
            foreach (var (forward, back) in _connections)
            {
                forward.Pause();
                back.Pause();
            }
        }
    }

    /// <summary>Delivers what was held.</summary>
    public void Resume()
    {
        lock (_lock)
        {
            _paused = false;
            foreach (var (forward, back) in _connections)
            {
                forward.Resume();
                back.Resume();
            }
        }
    }

    /// <summary>A dial from <paramref name="from"/>: a connected stream, its other end queued at the other transport.</summary>
    internal Stream Connect(InMemoryPeerTransport from)
    {
        var to = ReferenceEquals(from, First) ? Second : First;
        lock (_lock)
        {
            if (_cut)
            {
                throw new IOException("the in-memory link is cut");
            }
            var forward = new InMemoryWire(_capacity);
            var back = new InMemoryWire(_capacity);
            if (_paused)
            {
                forward.Pause();
                back.Pause();
            }
            var server = new InMemoryPeerStream(forward, back);
            if (!to.Offer(server))
            {
                throw new IOException("connection refused: the peer does not listen");
            }
            _connections.Add((forward, back));
            _made++;
            return new InMemoryPeerStream(back, forward);
        }
    }

    private void BreakLocked(string reason)
    {
        foreach (var (forward, back) in _connections)
        {
            forward.Break(reason);
            back.Break(reason);
        }
        _connections.Clear();
    }
}
