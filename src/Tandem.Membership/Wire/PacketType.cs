namespace Tandem.Membership.Wire;

/// <summary>What a membership packet carries.</summary>
public enum PacketType : byte
{
    /// <summary>A heartbeat: the sender's status, sent every keepalive on every link.</summary>
    Heartbeat = 1,
    /// <summary>A cluster-channel message (reliable, ordered per sender).</summary>
    Data = 2,
    /// <summary>A cluster-channel acknowledgement.</summary>
    Ack = 3,
}
