using System.Buffers;

namespace Tandem.Replication.Protocol;

/// <summary>A frame read from the peer: its type and payload, which may live in a pooled buffer.</summary>
/// <param name="Type">The frame type.</param>
/// <param name="Buffer">The payload's buffer: exactly <paramref name="Length"/> bytes unless pooled.</param>
/// <param name="Length">The payload's length.</param>
/// <param name="Pooled">True when <paramref name="Buffer"/> is rented and must be released.</param>
internal readonly record struct ReceivedFrame(FrameType Type, byte[] Buffer, int Length, bool Pooled)
{
    /// <summary>The payload.</summary>
    public ReadOnlyMemory<byte> Payload => Buffer.AsMemory(0, Length);

    /// <summary>Returns a pooled buffer. Only when nothing can read it any more: not after a local
    /// write that timed out (disk-timeout), which may still be reading it.</summary>
    public void Release()
    {
        if (Pooled)
        {
            ArrayPool<byte>.Shared.Return(Buffer);
        }
    }
}
