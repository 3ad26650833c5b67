using System.Net.Sockets;
using System.Security.Authentication;
using Tandem.Replication.Peer;
using Tandem.Replication.Protocol;

namespace Tandem.Replication;

/// <summary>
/// The connection path's defence against whoever can reach the replication port (issue #18
/// item 5): each accepted connection is handshaken on its own task with a deadline, many at once,
/// so that silent connections do not hold up the peer's; a connection that fails before it proved
/// to be the peer is dropped and counted and changes nothing; only the authenticated peer's refusal
/// (or a completed handshake's decision) stops the retries.
/// </summary>
public sealed partial class ReplicatedVolume
{
    /// <summary>Handshakes in progress at once; a connection beyond is closed at once (and counted).</summary>
    internal const int MaxConcurrentHandshakes = 16;

    private static readonly TimeSpan s_rejectLogInterval = TimeSpan.FromSeconds(10);

    // Only one authenticated handshake at a time takes the snapshot, gates writes and starts a session.
    private readonly SemaphoreSlim _commit = new(1, 1);
    private readonly HashSet<Task> _handshakes = [];
    private long _rejectedConnections;
    private string? _lastRejection;
    private long _lastRejectLog = long.MinValue;
    private long _suppressedRejects;

    /// <summary>Connections dropped before they proved to be the peer (status <c>rejectedConnections</c>).</summary>
    internal long RejectedConnections => Interlocked.Read(ref _rejectedConnections);

    /// <summary>Accepts one connection and hands it to a handshake of its own; returns when the accept ended.</summary>
    private async Task AcceptOnceAsync(CancellationToken cancellationToken)
    {
        Stream stream;
        try
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attempt.CancelAfter(_options.ConnectInterval); // look at the wanted state again now and then
            stream = await _transport.AcceptAsync(attempt.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            return; // the wait ended, or stopping (disposal stops the transport and an accept then fails)
        }
        lock (_lock)
        {
            if (!_wantConnect || _disposed || _session is not null)
            {
                // This accept began while a handshake ran, and its session started (or a
                // disconnect came) meanwhile: nobody waits for a connection now.
                stream.Dispose();
                return;
            }
        }
        lock (_handshakes)
        {
            if (_handshakes.Count >= MaxConcurrentHandshakes)
            {
                RecordRejected("too many handshakes at once");
                stream.Dispose();
                return;
            }
            // On a thread of its own: the handshake reads by blocking in the socket (PeerSession.HandshakeAsync),
            // and called inline it would hold this loop, on the thread pool it would starve it.
            var task = Task.Factory.StartNew(() => HandshakeConnectionAsync(stream, acceptor: true, cancellationToken), CancellationToken.None,
                TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
            _handshakes.Add(task);
            _ = task.ContinueWith(t => { lock (_handshakes) { _handshakes.Remove(t); } }, CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <summary>Waits for the handshakes still running (they end with the volume's stop token).</summary>
    private async Task DrainHandshakesAsync()
    {
        Task[] running;
        lock (_handshakes)
        {
            running = [.. _handshakes];
        }
        await Task.WhenAll(running).ConfigureAwait(false);
    }

    /// <summary>
    /// TLS (when configured), the handshake and the session's start on one connection. Never
    /// throws: a failure is judged by how far the connection got (<see cref="HandshakeProgress"/>).
    /// </summary>
    /// <returns>True when a session started.</returns>
    private async Task<bool> HandshakeConnectionAsync(Stream stream, bool acceptor, CancellationToken cancellationToken)
    {
        var progress = new HandshakeProgress();
        try
        {
            if (_tls is not null)
            {
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                deadline.CancelAfter(HandshakeTimeout);
                try
                {
                    stream = await _tls.AuthenticateAsync(stream, acceptor, deadline.Token).ConfigureAwait(false);
                }
                catch
                {
                    await stream.DisposeAsync().ConfigureAwait(false);
                    throw;
                }
                progress.Authenticated = true; // a mutually verified, trusted certificate
            }
            await StartSessionAsync(stream, acceptor, progress, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ProtocolException ex) when (progress.Trusted)
        {
            // The authenticated peer refused (a real version skew, settings that differ) or the
            // handshake's decision says disconnect (split brain): retrying cannot help, an
            // operator must act (drbd.md §7.2).
            Log.ConnectFailed(_events.Logger, Resource, ex.Message);
            lock (_lock)
            {
                _wantConnect = false;
                SetConnectionLocked(ConnectionState.StandAlone, ex.Message);
            }
            _events.Publish("volume.connect.refused", ex.Message, ("retrying", "no"), ("authenticated", progress.Authenticated ? "yes" : "no"));
        }
        catch (ProtocolException ex)
        {
            RecordRejected(ex.Message);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException or AuthenticationException)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return false;
            }
            if (progress.Trusted)
            {
                Log.ConnectFailed(_events.Logger, Resource, ex is OperationCanceledException ? "the handshake timed out" : "the connection failed during the handshake");
            }
            else
            {
                RecordRejected(ex is OperationCanceledException
                    ? $"no handshake within {HandshakeTimeout.TotalSeconds:0.#} s"
                    : "closed or failed during the handshake");
            }
        }
#pragma warning disable CA1031 // nothing a hostile connection sends may end the connector, or go unjudged
        catch (Exception ex)
#pragma warning restore CA1031
        {
            if (progress.Trusted)
            {
                Log.ConnectFailed(_events.Logger, Resource, $"the handshake failed ({ex.GetType().Name})");
            }
            else
            {
                RecordRejected("failed during the handshake");
            }
        }
        finally
        {
            if (progress.HoldsCommit)
            {
                _commit.Release();
            }
        }
        return false;
    }

    /// <summary>
    /// The snapshot callback of an authenticated (or, without authentication, feature-checked)
    /// connection: one at a time, and only while no session runs.
    /// </summary>
    private async Task<ParamsMessage> CommitAndSnapshotAsync(HandshakeProgress progress, CancellationToken cancellationToken)
    {
        await _commit.WaitAsync(cancellationToken).ConfigureAwait(false);
        progress.HoldsCommit = true;
        lock (_lock)
        {
            if (_session is not null || !_wantConnect || _disposed)
            {
                throw new IOException("a session with the peer started meanwhile");
            }
        }
        return await GateAndSnapshotAsync().ConfigureAwait(false);
    }

    /// <summary>Counts a dropped connection and logs it, at most one line per 10 s with the number suppressed.</summary>
    private void RecordRejected(string reason)
    {
        Interlocked.Increment(ref _rejectedConnections);
        Volatile.Write(ref _lastRejection, reason);
        var now = _time.GetTimestamp();
        var last = Interlocked.Read(ref _lastRejectLog);
        if (last != long.MinValue && _time.GetElapsedTime(last, now) < s_rejectLogInterval)
        {
            Interlocked.Increment(ref _suppressedRejects);
            return;
        }
        if (Interlocked.CompareExchange(ref _lastRejectLog, now, last) != last)
        {
            Interlocked.Increment(ref _suppressedRejects);
            return;
        }
        Log.ConnectionRejected(_events.Logger, Resource, reason, Interlocked.Exchange(ref _suppressedRejects, 0));
    }
}
