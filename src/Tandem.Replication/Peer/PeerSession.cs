using System.Collections.Concurrent;
using System.Net.Sockets;
using Tandem.Core.Model;
using Tandem.Replication.Protocol;
using Tandem.Replication.Uuids;

namespace Tandem.Replication.Peer;

/// <summary>
/// One connected session with the peer: the handshake that opens it, the framed connection
/// (whose send loop runs inside <see cref="PeerConnection"/>), the receive loop that hands each
/// frame to the <see cref="FrameDispatcher"/>, the keep-alive, and the per-session state of the
/// resync and of the requests that wait for the peer's answer. It ends once, with a reason.
/// </summary>
internal sealed class PeerSession(PeerConnection connection, bool resolveConflicts, SyncPlan plan, FeatureFlags features)
{
    /// <summary>Resync requests in flight: at most 8 MiB, as DRBD's default max-buffers.</summary>
    public const int ResyncWindow = 32;

    public PeerConnection Connection { get; } = connection;

    /// <summary>Whether this side resolves conflicts (the acceptor).</summary>
    public bool ResolveConflicts { get; } = resolveConflicts;

    /// <summary>What the handshake decided: sync direction, full or not.</summary>
    public SyncPlan Plan { get; } = plan;

    /// <summary>The features both sides agreed on.</summary>
    public FeatureFlags Features { get; } = features;

    public CancellationTokenSource Cts { get; } = new();

    /// <summary>Completed when writes may flow (the bitmap exchange decided what to do).</summary>
    public TaskCompletionSource Ready { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Resync window slots (a batch takes as many as its bytes are chunks).</summary>
    public SemaphoreSlim Window { get; } = new(ResyncWindow, ResyncWindow);

    public Task? Receiver { get; private set; }
    public Task? Resyncer { get; set; }
    public ResyncProgress? Resync { get; set; }

    /// <summary>Writes received in the current epoch (receive loop only).</summary>
    public int EpochWrites { get; set; }
#pragma warning disable SA1401, CA1051 // Interlocked needs a field
    public long SkippedBytes;
    public long AckedBytes;
    public long LastReceived;
    public int NegAckResync;
    public ulong LastBatchId;
#pragma warning restore SA1401, CA1051

    /// <summary>Whether the peer understands the frames of diskless operation, resize and Ahead/Behind.</summary>
    public bool Extended => (Features & FeatureFlags.DisklessResizeCongestion) != 0;

    /// <summary>Whether the peer takes scattered resync runs several to a frame.</summary>
    public bool Batching => (Features & FeatureFlags.ResyncBatch) != 0;

    /// <summary>Resync batches sent and not yet acknowledged, by id: the runs their ack makes in sync.</summary>
    public ConcurrentDictionary<ulong, List<(long Offset, int Length)>> Batches { get; } = new();

    /// <summary>The receive loop's scratch for parsing a batch (only that loop touches it).</summary>
    public (long Offset, int Length)[] BatchRuns { get; } = new (long, int)[ResyncBatch.MaxRuns];
    public Task? KeepAlive { get; private set; }
    public Task? Congestion { get; set; }

    /// <summary>Why the session ended, when something other than the connection said so (a ping timeout).</summary>
    public string? LostReason { get; set; }
    public long LastAcked { get; set; }
    public long LastAckTime { get; set; }
    public bool Stalled { get; set; }

    /// <summary>Digest requests (verify, checksum resync) waiting for the peer's reply, by offset.</summary>
    public ConcurrentDictionary<long, TaskCompletionSource<byte[]>> Digests { get; } = new();

    /// <summary>Reads served by the peer (a diskless node), by id.</summary>
    public ConcurrentDictionary<ulong, TaskCompletionSource<byte[]>> Reads { get; } = new();
    public TaskCompletionSource<(bool Ok, long Usable, string Reason)>? ResizeReply { get; set; }

    /// <summary>
    /// Runs the handshake (features, authentication, parameters) over a new connection on
    /// <paramref name="stream"/>; the connection is disposed if it fails.
    /// </summary>
    /// <param name="stream">The transport's stream (TLS already done).</param>
    /// <param name="offer">What this side offers.</param>
    /// <param name="snapshot">Takes this side's parameters once the peer is authenticated.</param>
    /// <param name="timeout">The deadline of the whole handshake.</param>
    /// <param name="cancellationToken">Stops it.</param>
    /// <returns>The connection, not yet sending, and what both sides said.</returns>
    public static async Task<(PeerConnection Connection, HandshakeResult Result)> HandshakeAsync(Stream stream, HandshakeOptions offer,
        Func<Task<ParamsMessage>> snapshot, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var connection = new PeerConnection(stream)
        {
            // The handshake reads by blocking too: an asynchronous read would register the socket
            // with the runtime's epoll thread for good, and every later packet would then cost an
            // epoll wake-up and a thread-pool work item, though nobody reads asynchronously.
            ReceiveThread = Thread.CurrentThread,
        };
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            return (connection, await Handshake.RunAsync(connection, offer, snapshot, deadline.Token).ConfigureAwait(false));
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Starts the receive loop (on a thread of its own, where it blocks in the socket: each frame
    /// then costs one wake-up instead of an epoll wake-up and a thread-pool hop) and the keep-alive.
    /// </summary>
    /// <param name="frames">Who handles each frame.</param>
    /// <param name="time">The clock of the keep-alive.</param>
    /// <param name="pingInterval">How often the peer is pinged.</param>
    /// <param name="peerTimeout">How long after a ping the peer may stay silent.</param>
    /// <param name="lost">Called once when the session ends, with the reason.</param>
    public void Run(FrameDispatcher frames, TimeProvider time, TimeSpan pingInterval, TimeSpan peerTimeout, Func<PeerSession, string, Task> lost)
    {
        LastReceived = time.GetTimestamp();
        Receiver = Task.Factory.StartNew(() =>
        {
            Connection.ReceiveThread = Thread.CurrentThread;
            return ReceiveLoopAsync(frames, time, lost);
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        KeepAlive = KeepAliveAsync(time, pingInterval, peerTimeout);
    }

    private async Task ReceiveLoopAsync(FrameDispatcher frames, TimeProvider time, Func<PeerSession, string, Task> lost)
    {
        var ct = Cts.Token;
        var reason = "connection closed";
        try
        {
            while (true)
            {
                var frame = await Connection.ReceiveFrameAsync(ct).ConfigureAwait(false);
                LastReceived = time.GetTimestamp();
                if (await frames.DispatchAsync(this, frame, ct).ConfigureAwait(false))
                {
                    frame.Release();
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            reason = LostReason ?? "disconnected";
        }
        catch (ProtocolException ex)
        {
            reason = ex.Message;
        }
        catch (Exception ex) when (ex is IOException or EndOfStreamException or SocketException or ObjectDisposedException)
        {
            reason = LostReason ?? $"network failure: {ex.Message}";
        }
        await lost(this, reason).ConfigureAwait(false);
    }

    /// <summary>
    /// Pings the peer every ping-int; a peer that sends nothing (not even the PingAck) for the
    /// peer timeout after a ping is declared lost — a frozen or vanished peer closes no socket.
    /// </summary>
    private async Task KeepAliveAsync(TimeProvider time, TimeSpan pingInterval, TimeSpan peerTimeout)
    {
        var ct = Cts.Token;
        try
        {
            while (true)
            {
                await Task.Delay(pingInterval, time, ct).ConfigureAwait(false);
                var pinged = time.GetTimestamp();
                Send(FrameType.Ping, [], control: true);
                await Task.Delay(peerTimeout, time, ct).ConfigureAwait(false);
                if (LastReceived < pinged)
                {
                    LostReason = $"PingAck did not arrive within {peerTimeout.TotalSeconds:0.#} s";
                    Abort();
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    public void Send(FrameType type, byte[] payload, bool control) => Connection.Enqueue(type, default, payload, control);

    /// <summary>Sends an acknowledgement of a received frame (batched while more input is buffered).</summary>
    public void SendAck(FrameType type, byte[] payload) => Connection.EnqueueAck(type, payload);

    public void SendState(Role role, DiskState disk) => Send(FrameType.State, [(byte)role, (byte)disk], control: true);

    /// <summary>Ends the session at once (a cut cable): the receive loop ends and reports the loss.</summary>
    public void Abort()
    {
        foreach (var waiter in Digests.Values)
        {
            waiter.TrySetException(new IOException("connection lost"));
        }
        try
        {
            Cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
        Connection.Abort();
    }

    /// <summary>Ends the session and waits until its loss was handled.</summary>
    public async Task CloseAsync()
    {
        Abort();
        if (Receiver is not null)
        {
            await Receiver.ConfigureAwait(false);
        }
    }
}
