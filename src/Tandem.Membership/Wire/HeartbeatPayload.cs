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
///  9     1    ping nodes and groups the sender reaches (its connectivity score, for ipfail)
/// 10     1    ping nodes and groups the sender has configured (0: no score)
/// </code>
/// Longer payloads are accepted and the extra bytes ignored, so later versions can add fields;
/// a 9-byte payload (no ping fields) reads as "no score".
/// </remarks>
/// <param name="Status">The sender's status.</param>
/// <param name="DeadtimeMs">The sender's deadtime.</param>
/// <param name="KeepaliveMs">The sender's keepalive.</param>
/// <param name="PingReachable">Ping nodes the sender reaches.</param>
/// <param name="PingTotal">Ping nodes the sender has configured.</param>
public readonly record struct HeartbeatPayload(NodeStatus Status, uint DeadtimeMs, uint KeepaliveMs, byte PingReachable = 0, byte PingTotal = 0)
{
    /// <summary>The encoded size.</summary>
    public const int Size = 11;

    private const int MinSize = 9;

    /// <summary>Writes the payload.</summary>
    /// <param name="destination">At least <see cref="Size"/> bytes.</param>
    public void Write(Span<byte> destination)
    {
        destination[0] = (byte)Status;
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], DeadtimeMs);
        BinaryPrimitives.WriteUInt32BigEndian(destination[5..], KeepaliveMs);
        destination[9] = PingReachable;
        destination[10] = PingTotal;
    }

    /// <summary>Reads a payload.</summary>
    /// <param name="source">The bytes.</param>
    /// <param name="payload">The payload when valid.</param>
    /// <returns>False when too short or the status is unknown.</returns>
    public static bool TryRead(ReadOnlySpan<byte> source, out HeartbeatPayload payload)
    {
        payload = default;
        if (source.Length < MinSize || source[0] is < (byte)NodeStatus.Init or > (byte)NodeStatus.Dead)
        {
            return false;
        }
        payload = new HeartbeatPayload(
            (NodeStatus)source[0], BinaryPrimitives.ReadUInt32BigEndian(source[1..]), BinaryPrimitives.ReadUInt32BigEndian(source[5..]),
            source.Length >= Size ? source[9] : (byte)0, source.Length >= Size ? source[10] : (byte)0);
        return true;
    }
}
