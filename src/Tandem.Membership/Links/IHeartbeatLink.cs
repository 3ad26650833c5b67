using System.Net;

namespace Tandem.Membership.Links;

/// <summary>
/// One heartbeat medium as this node uses it: sends a packet to every peer it reaches and
/// receives one packet at a time. UDP, serial and in-memory links implement it, so that the
/// membership service and its tests do not care which carries the bytes.
/// </summary>
public interface IHeartbeatLink : IAsyncDisposable
{
    /// <summary>The link name from the configuration (for status and events).</summary>
    string Name { get; }

    /// <summary>Sends one packet to every peer on this link. Failures are swallowed and counted: a dead medium is
    /// the failure detector's business, not an exception.</summary>
    /// <param name="packet">One encoded packet.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>A task that completes when the packet was handed to the medium.</returns>
    ValueTask SendAsync(ReadOnlyMemory<byte> packet, CancellationToken cancellationToken);

    /// <summary>Receives the next packet.</summary>
    /// <param name="buffer">Where the packet is written; at least <see cref="Wire.PacketCodec.MaxPacketSize"/> bytes.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The packet's length and where it came from, when known.</returns>
    ValueTask<LinkReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>Packets that could not be sent (medium down, no route, frame too large).</summary>
    long SendErrors { get; }
}

/// <summary>One received packet.</summary>
/// <param name="Length">Its length in the buffer.</param>
/// <param name="Remote">The sender's address, or null when the medium has none (serial, in-memory).</param>
public readonly record struct LinkReceiveResult(int Length, EndPoint? Remote);
