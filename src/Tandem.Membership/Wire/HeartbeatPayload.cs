using System.Buffers.Binary;

namespace Tandem.Membership.Wire;

/// <summary>
/// The payload of a heartbeat.
/// </summary>
/// <remarks>
/// <code>
/// offset size field
///  0     1    the sender's own status (NodeStatus: 1 init, 2 up, 3 active)
///  1     4    the sender's deadtime in ms
///  5     4    the sender's keepalive in ms
/// </code>
/// Longer payloads are accepted and the extra bytes ignored, so later versions can add fields.
/// </remarks>
/// <param name="Status">The sender's status.</param>
/// <param name="DeadtimeMs">The sender's deadtime.</param>
/// <param name="KeepaliveMs">The sender's keepalive.</param>
public readonly record struct HeartbeatPayload(NodeStatus Status, uint DeadtimeMs, uint KeepaliveMs)
{
    /// <summary>The encoded size.</summary>
    public const int Size = 9;

    /// <summary>Writes the payload.</summary>
    /// <param name="destination">At least <see cref="Size"/> bytes.</param>
    public void Write(Span<byte> destination)
    {
        destination[0] = (byte)Status;
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], DeadtimeMs);
        BinaryPrimitives.WriteUInt32BigEndian(destination[5..], KeepaliveMs);
    }

    /// <summary>Reads a payload.</summary>
    /// <param name="source">The bytes.</param>
    /// <param name="payload">The payload when valid.</param>
    /// <returns>False when too short or the status is unknown.</returns>
    public static bool TryRead(ReadOnlySpan<byte> source, out HeartbeatPayload payload)
    {
        payload = default;
        if (source.Length < Size || source[0] is < (byte)NodeStatus.Init or > (byte)NodeStatus.Active)
        {
            return false;
        }
        payload = new HeartbeatPayload(
            (NodeStatus)source[0], BinaryPrimitives.ReadUInt32BigEndian(source[1..]), BinaryPrimitives.ReadUInt32BigEndian(source[5..]));
        return true;
    }
}
