using System.Net.Sockets;
using Tandem.Core.Threading;

namespace Tandem.Nbd;

/// <summary>
/// A stream over a socket whose asynchronous methods do blocking calls and complete synchronously.
/// Each NBD connection runs on its own thread (like nbdkit's thread per connection): a blocking
/// recv wakes that thread directly, where an async receive costs an epoll-thread-to-pool hop per
/// request, which halved queue-depth-1 throughput in measurements (docs/benchmarks.md). A
/// blocked send only blocks the connection that will not read its replies.
/// </summary>
internal sealed class BlockingSocketStream : Stream
{
    private readonly Socket _socket;
    private readonly AdaptiveSocketSpin? _spin;

    /// <param name="socket">The connected socket; it is made blocking.</param>
    /// <param name="spin">How long a read may poll before it blocks (see <see cref="AdaptiveSocketSpin"/>); zero never polls.</param>
    public BlockingSocketStream(Socket socket, TimeSpan spin)
    {
        _socket = socket;
        _socket.Blocking = true;
        _spin = spin > TimeSpan.Zero ? new AdaptiveSocketSpin(spin) : null;
    }

    /// <summary>
    /// Asked before each wait that could poll: false makes it block at once (null: always poll).
    /// With several requests of the client in flight their completions overlap the wake-up, and a
    /// polling thread only takes the CPU that those completions need (a replicated volume at
    /// queue depth 32: 81–88k IOPS polling, 99k not).
    /// </summary>
    public Func<bool>? MayPoll { get; set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <summary>Reads the rest of a request (its payload): blocks at once, without polling.</summary>
    public override int Read(Span<byte> buffer)
    {
        try
        {
            return _socket.Receive(buffer, SocketFlags.None);
        }
        catch (ObjectDisposedException)
        {
            return 0;
        }
    }

    /// <summary>
    /// Reads for the pipe, which the connection reads only when it waits for the next request (or
    /// option): this wait may poll first. Payload reads, whose bytes are already on their way, go
    /// through <see cref="Read(Span{byte})"/> and do not teach the spin that requests come quickly.
    /// </summary>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            if (_spin is null || MayPoll?.Invoke() == false || _spin.TryAvoidBlocking(_socket))
            {
                return ValueTask.FromResult(Read(buffer.Span));
            }
            var read = Read(buffer.Span);
            _spin.Woken();
            return ValueTask.FromResult(read);
        }
        catch (Exception ex)
        {
            return ValueTask.FromException<int>(ex);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var sent = _socket.Send(buffer, SocketFlags.None);
            buffer = buffer[sent..];
        }
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }
        catch (Exception ex)
        {
            return ValueTask.FromException(ex);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Unblocks a thread in recv or send: they return 0 or fail.</summary>
    public void Shutdown()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already closed.
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _socket.Dispose();
        }
        base.Dispose(disposing);
    }
}
