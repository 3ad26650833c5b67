using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Tandem.Nbd.Protocol;

namespace Tandem.Nbd;

/// <summary>
/// One client connection: negotiation, then one receive loop (this task) and one send loop.
/// Nothing a client sends can throw out of <see cref="RunAsync"/>; a violation closes this
/// connection only, and nothing here is shared with other connections except the volume.
/// </summary>
internal sealed partial class NbdConnection
{
    private readonly NbdServer _server;
    private readonly Socket _socket;
    private readonly NbdServerOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _cts;
    private NbdExport? _export;
    private BlockingSocketStream? _stream;
    // What requests and replies go through: the socket stream, or the TLS stream over it after
    // NBD_OPT_STARTTLS. _stream stays the one to shut down and to poll.
    private Stream? _io;
    private System.Net.Security.SslStream? _tls;
    private PipeReader? _reader;
    private PipeWriter? _writer;
    private bool _structured;
    private long _lastActivity;
    private volatile bool _negotiated;
    private volatile string? _closeReason;

    public NbdConnection(NbdServer server, Socket socket, long id, string remote, DateTimeOffset connectedAt,
        NbdServerOptions options, ILogger logger, CancellationToken serverToken)
    {
        _server = server;
        _socket = socket;
        Id = id;
        Remote = remote;
        ConnectedAt = connectedAt;
        _options = options;
        _logger = logger;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(serverToken);
        IsTcp = socket.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6;
        _lastActivity = server.Timestamp();
    }

    /// <summary>Whether the connection came over TCP (else the Unix socket).</summary>
    public bool IsTcp { get; }

    /// <summary>Whether negotiation finished (the connection is in transmission).</summary>
    public bool Negotiated => _negotiated;

    /// <summary>The timestamp (server clock) of the last request, or of the connect.</summary>
    public long LastActivity => Interlocked.Read(ref _lastActivity);

    /// <summary>Whether the server already decided to close it (evicted, idle).</summary>
    public bool Closing => _closeReason is not null;

    /// <summary>Closes the connection for a reason of the server's (eviction, idle timeout).</summary>
    /// <param name="reason">What the disconnect event will say.</param>
    /// <returns>False when it was already being closed.</returns>
    public bool Close(string reason)
    {
        if (Interlocked.CompareExchange(ref _closeReason, reason, null) is not null)
        {
            return false;
        }
        Abort();
        return true;
    }

    private void Touch() => Interlocked.Exchange(ref _lastActivity, _server.Timestamp());

    public long Id { get; }

    public string Remote { get; }

    public DateTimeOffset ConnectedAt { get; }

    public NbdClientInfo Info => new(Id, Remote, ConnectedAt, _export?.Name, _structured);

    public void Abort()
    {
        try
        {
            _cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already closed.
        }
    }

    public async Task RunAsync()
    {
        var reason = "closed";
        var stream = new BlockingSocketStream(_socket, _options.SpinBeforeBlocking);
        _stream = stream;
        UsePipes(stream);
        // Blocking calls do not observe tokens: stopping and timeouts shut the socket down instead.
        using var stopRegistration = _cts.Token.Register(static s => ((BlockingSocketStream)s!).Shutdown(), stream);
        try
        {
            bool negotiated;
            var handshakeTimer = new CancellationTokenSource(_options.HandshakeTimeout);
            try
            {
                using (handshakeTimer.Token.Register(static s => ((BlockingSocketStream)s!).Shutdown(), stream))
                {
                    negotiated = await NegotiateAsync(_cts.Token).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (handshakeTimer.IsCancellationRequested && ex is not NbdProtocolException)
            {
                _server.CountersFor(IsTcp).CountHandshakeTimeout();
                throw new NbdProtocolException("negotiation took too long");
            }
            finally
            {
                handshakeTimer.Dispose();
            }
            if (negotiated)
            {
                _negotiated = true;
                Touch();
                reason = await TransmitAsync(_reader!).ConfigureAwait(false);
            }
            else
            {
                reason = "negotiation ended";
            }
        }
        catch (NbdProtocolException ex)
        {
            reason = ex.Message;
            Log.ProtocolViolation(_logger, Id, ex.Message);
        }
        catch (OperationCanceledException) when (_cts.IsCancellationRequested)
        {
            reason = "server stopping";
        }
        catch (EndOfStreamException)
        {
            reason = "client closed the connection";
        }
        catch (IOException ex)
        {
            reason = ex.Message;
        }
        catch (SocketException ex)
        {
            reason = ex.Message;
        }
        catch (Exception ex)
        {
            // A bug here must cost one connection, not the daemon.
            reason = "internal error: " + ex.Message;
            Log.ConnectionFailed(_logger, Id, ex);
        }
        finally
        {
            await CompletePipesAsync().ConfigureAwait(false);
            if (_tls is not null)
            {
                try
                {
                    await _tls.DisposeAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
                {
                    // The close_notify could not be sent; the peer is gone.
                }
            }
            await stream.DisposeAsync().ConfigureAwait(false);
            _cts.Dispose();
            _server.OnConnectionClosed(this, _closeReason ?? reason);
        }
    }

    /// <summary>Reads and writes through <paramref name="io"/> from now on.</summary>
    private void UsePipes(Stream io)
    {
        _io = io;
        _reader = PipeReader.Create(io, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true));
        _writer = PipeWriter.Create(io, new StreamPipeWriterOptions(minimumBufferSize: 64 * 1024, leaveOpen: true));
    }

    private async ValueTask CompletePipesAsync()
    {
        if (_reader is { } reader)
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
        if (_writer is { } writer)
        {
            try
            {
                await writer.CompleteAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
            {
                // The peer is gone; nothing left to flush to.
            }
        }
        _reader = null;
        _writer = null;
    }

    /// <summary>Waits until at least <paramref name="count"/> bytes are buffered, or the client closed
    /// (then fewer are returned); the caller must AdvanceTo. Before blocking, sends collected replies.</summary>
    private async ValueTask<ReadOnlySequence<byte>> ReadAtLeastAsync(PipeReader reader, long count, CancellationToken cancellationToken)
    {
        if (reader.TryRead(out var result))
        {
            if (result.Buffer.Length >= count || result.IsCompleted)
            {
                return result.Buffer;
            }
            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
        FlushReplies();
        while (true)
        {
            result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (buffer.Length >= count || result.IsCompleted || result.IsCanceled)
            {
                return buffer;
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Discards <paramref name="count"/> bytes without buffering them all.</summary>
    private static async ValueTask SkipAsync(PipeReader reader, long count, CancellationToken cancellationToken)
    {
        while (count > 0)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var take = Math.Min(count, buffer.Length);
            reader.AdvanceTo(buffer.GetPosition(take));
            count -= take;
            if (count > 0 && (result.IsCompleted || result.IsCanceled))
            {
                throw new EndOfStreamException();
            }
        }
    }

    private async ValueTask ReadExactAsync(PipeReader reader, Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (destination.IsEmpty)
        {
            return;
        }
        var buffer = await ReadAtLeastAsync(reader, destination.Length, cancellationToken).ConfigureAwait(false);
        if (buffer.Length < destination.Length)
        {
            reader.AdvanceTo(buffer.End);
            throw new EndOfStreamException();
        }
        var slice = buffer.Slice(0, destination.Length);
        slice.CopyTo(destination.Span);
        reader.AdvanceTo(slice.End);
    }
}
