namespace Tandem.Membership.Wire;

/// <summary>An authenticated packet: its header, the sender's canonical name and where the payload is.</summary>
/// <param name="Header">The fixed header.</param>
/// <param name="Sender">The sender's name as the cluster spec spells it.</param>
/// <param name="PayloadOffset">Where the payload starts in the packet.</param>
/// <param name="PayloadLength">The payload's length.</param>
public readonly record struct DecodedPacket(PacketHeader Header, string Sender, int PayloadOffset, int PayloadLength)
{
    /// <summary>The payload within <paramref name="packet"/>, the buffer this was decoded from.</summary>
    /// <param name="packet">The decoded packet's bytes.</param>
    /// <returns>The payload.</returns>
    public ReadOnlySpan<byte> Payload(ReadOnlySpan<byte> packet) => packet.Slice(PayloadOffset, PayloadLength);
}
