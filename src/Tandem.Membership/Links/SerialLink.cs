using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Tandem.Core.Model;
using Tandem.Core.Os;

namespace Tandem.Membership.Links;

/// <summary>
/// A heartbeat link over a serial line (a tty, or a pty in tests), with raw, non-blocking file
/// I/O: a full output buffer (nobody reading at the other end) drops the frame instead of
/// blocking the node. A reader thread polls the line and hands whole frames over.
/// </summary>
public sealed partial class SerialLink : IHeartbeatLink
{
    private const int ORdwr = 2, ONoctty = 0x100, ONonblock = 0x800, OCloexec = 0x80000;
    private const short PollIn = 1;
    private const int Eagain = 11, Eintr = 4;

    private readonly int _fd;
    private readonly Lock _writeLock = new();
    private readonly Channel<byte[]> _frames = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly Thread _reader;
    private readonly ILogger _logger;
    private readonly SerialFramer _framer = new();
    private volatile bool _closed;
    private long _sendErrors;

    private SerialLink(string name, string device, int fd, ILogger logger)
    {
        Name = name;
        Device = device;
        _fd = fd;
        _logger = logger;
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = $"serial {device}" };
        _reader.Start();
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>The tty path.</summary>
    public string Device { get; }

    /// <inheritdoc/>
    public long SendErrors => Interlocked.Read(ref _sendErrors);

    /// <summary>Bytes skipped while resynchronising on the frame magic.</summary>
    public long Discarded => _framer.Discarded;

    /// <summary>Opens this node's tty of a serial link and puts it in raw mode at the link's speed.</summary>
    /// <param name="spec">The link.</param>
    /// <param name="localNode">This node (its entry in <see cref="SerialLinkSpec.DeviceByNode"/> wins).</param>
    /// <param name="logger">The logger.</param>
    /// <returns>The open link.</returns>
    public static SerialLink Open(SerialLinkSpec spec, string localNode, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var device = spec.DeviceByNode.FirstOrDefault(kv => string.Equals(kv.Key, localNode, StringComparison.OrdinalIgnoreCase)).Value
            ?? spec.Device;
        var fd = SerialLine.Open(device, ORdwr | ONoctty | ONonblock | OCloexec);
        if (fd < 0)
        {
            throw new IOException($"serial link {spec.Name}: cannot open {device}: {new Win32Exception(Marshal.GetLastPInvokeError()).Message}");
        }
        MakeRaw(fd, spec.Baud, device, logger);
        return new SerialLink(spec.Name, device, fd, logger);
    }

    /// <inheritdoc/>
    public ValueTask SendAsync(ReadOnlyMemory<byte> packet, CancellationToken cancellationToken)
    {
        if (packet.Length > SerialFramer.MaxFrame || _closed)
        {
            Interlocked.Increment(ref _sendErrors);
            return ValueTask.CompletedTask;
        }
        var frame = SerialFramer.Frame(packet.Span);
        lock (_writeLock)
        {
            var written = 0;
            while (written < frame.Length)
            {
                var n = SerialLine.Write(_fd, frame.AsSpan(written), (nint)(frame.Length - written));
                if (n > 0)
                {
                    written += (int)n;
                    continue;
                }
                var errno = Marshal.GetLastPInvokeError();
                if (n < 0 && errno == Eintr)
                {
                    continue;
                }
                // EAGAIN (the line's buffer is full: nobody reads) or an error: drop the rest. A
                // partial frame is noise the receiver resyncs past.
                Interlocked.Increment(ref _sendErrors);
                break;
            }
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public async ValueTask<LinkReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var frame = await _frames.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var n = Math.Min(frame.Length, buffer.Length);
        frame.AsMemory(0, n).CopyTo(buffer);
        return new LinkReceiveResult(n, null);
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        if (!_closed)
        {
            _closed = true;
            _reader.Join();
            lock (_writeLock)
            {
                _ = SerialLine.Close(_fd);
            }
            _frames.Writer.TryComplete();
        }
        return ValueTask.CompletedTask;
    }

    private void ReadLoop()
    {
        var buffer = new byte[4096];
        var fds = new SerialLine.PollFd[1];
        while (!_closed)
        {
            fds[0] = new SerialLine.PollFd { Fd = _fd, Events = PollIn };
            var ready = SerialLine.Poll(fds, 1, 100);
            if (ready <= 0 || _closed)
            {
                continue;
            }
            var n = SerialLine.Read(_fd, buffer, buffer.Length);
            if (n > 0)
            {
                _framer.Feed(buffer.AsSpan(0, (int)n), packet => _frames.Writer.TryWrite(packet.ToArray()));
            }
            else if (n == 0 || (Marshal.GetLastPInvokeError() is not (Eagain or Eintr)))
            {
                // The other end of a pty is gone (EIO) or the line hung up: wait and retry, as a cable can come back.
                Thread.Sleep(100);
            }
        }
    }

    private static void MakeRaw(int fd, int baud, string device, ILogger logger)
    {
        // struct termios is 60 bytes on Linux glibc; a larger buffer is harmless.
        var termios = new byte[128];
        if (SerialLine.TcGetAttr(fd, termios) != 0)
        {
            LogNotATty(logger, device);
            return;
        }
        SerialLine.CfMakeRaw(termios);
        var speed = baud switch
        {
            9600 => 13, 19200 => 14, 38400 => 15, 57600 => 4097, 115200 => 4098, 230400 => 4099, 460800 => 4100, _ => 14,
        };
        _ = SerialLine.CfSetSpeed(termios, speed);
        if (SerialLine.TcSetAttr(fd, 0, termios) != 0)
        {
            LogNotATty(logger, device);
        }
    }

    [LoggerMessage(EventId = 1210, EventName = "Tandem.Membership.SerialNotTty", Level = LogLevel.Warning,
        Message = "Serial link device {Device} is not a tty (or refused raw mode); using it as a plain byte stream")]
    private static partial void LogNotATty(ILogger logger, string device);
}
