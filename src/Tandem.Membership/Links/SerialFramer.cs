using System.Buffers.Binary;
using Tandem.Membership.Wire;

namespace Tandem.Membership.Links;

/// <summary>
/// Frames packets on a byte stream (a serial line) and finds them again after noise, lost bytes
/// or a start in the middle of a frame: each frame starts with a magic, so the reader resyncs by
/// scanning for it, and a CRC rejects a false start.
/// </summary>
/// <remarks>
/// <code>
/// offset size field
///  0     4    magic "TDMS" (0x54444D53)
///  4     2    length L (1 .. MaxFrame), big-endian
///  6     2    ~L (the length's complement: noise that mimics a header rarely survives this, so a false
///             start cannot make the reader wait for thousands of bytes of a frame that does not exist)
///  8     L    the packet
///  8+L   4    CRC-32 of bytes 4 .. 8+L-1, big-endian
/// </code>
/// </remarks>
public sealed class SerialFramer
{
    /// <summary>The largest packet a frame carries (a serial line is slow: heartbeats and short messages only).</summary>
    public const int MaxFrame = 8192;

    /// <summary>Bytes a frame adds around its packet.</summary>
    public const int Overhead = 12;

    private const uint Magic = 0x54444D53;

    private readonly byte[] _buffer = new byte[(MaxFrame + Overhead) * 2];
    private int _count;
    private long _discarded;

    /// <summary>Bytes skipped while looking for a frame (noise, broken frames).</summary>
    public long Discarded => _discarded;

    /// <summary>Writes one frame.</summary>
    /// <param name="packet">The packet, 1 to <see cref="MaxFrame"/> bytes.</param>
    /// <returns>The frame.</returns>
    public static byte[] Frame(ReadOnlySpan<byte> packet)
    {
        ArgumentOutOfRangeException.ThrowIfZero(packet.Length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(packet.Length, MaxFrame);
        var frame = new byte[packet.Length + Overhead];
        BinaryPrimitives.WriteUInt32BigEndian(frame, Magic);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(4), (ushort)packet.Length);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(6), (ushort)~packet.Length);
        packet.CopyTo(frame.AsSpan(8));
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(8 + packet.Length), System.IO.Hashing.Crc32.HashToUInt32(frame.AsSpan(4, 4 + packet.Length)));
        return frame;
    }

    /// <summary>Feeds received bytes; calls <paramref name="onPacket"/> for every whole, valid frame.</summary>
    /// <param name="data">The bytes read from the line.</param>
    /// <param name="onPacket">Receives each packet (valid only during the call).</param>
    public void Feed(ReadOnlySpan<byte> data, SpanAction onPacket)
    {
        ArgumentNullException.ThrowIfNull(onPacket);
        while (!data.IsEmpty)
        {
            var n = Math.Min(data.Length, _buffer.Length - _count);
            data[..n].CopyTo(_buffer.AsSpan(_count));
            _count += n;
            data = data[n..];
            Drain(onPacket);
        }
    }

    /// <summary>Receives a packet.</summary>
    /// <param name="packet">The packet.</param>
    public delegate void SpanAction(ReadOnlySpan<byte> packet);

    private void Drain(SpanAction onPacket)
    {
        var start = 0;
        while (true)
        {
            var span = _buffer.AsSpan(start, _count - start);
            var at = IndexOfMagic(span);
            if (at < 0)
            {
                // Keep up to 3 bytes: they may be the start of a magic.
                var keep = Math.Min(3, span.Length);
                _discarded += span.Length - keep;
                start += span.Length - keep;
                break;
            }
            _discarded += at;
            start += at;
            span = _buffer.AsSpan(start, _count - start);
            if (span.Length < 8)
            {
                break;
            }
            int length = BinaryPrimitives.ReadUInt16BigEndian(span[4..]);
            if (length is 0 or > MaxFrame || BinaryPrimitives.ReadUInt16BigEndian(span[6..]) != (ushort)~length)
            {
                start++;
                _discarded++;
                continue;
            }
            if (span.Length < length + Overhead)
            {
                break;
            }
            var crc = BinaryPrimitives.ReadUInt32BigEndian(span[(8 + length)..]);
            if (crc != System.IO.Hashing.Crc32.HashToUInt32(span.Slice(4, 4 + length)))
            {
                start++;
                _discarded++;
                continue;
            }
            onPacket(span.Slice(8, length));
            start += length + Overhead;
        }
        _buffer.AsSpan(start, _count - start).CopyTo(_buffer);
        _count -= start;
    }

    private static int IndexOfMagic(ReadOnlySpan<byte> span)
    {
        ReadOnlySpan<byte> magic = [0x54, 0x44, 0x4D, 0x53];
        return span.IndexOf(magic);
    }
}
