namespace Tandem.Replication.Protocol;

/// <summary>Peer-protocol frame types (loosely DRBD's packet ids, drbd.md §7.1).</summary>
internal enum FrameType : ushort
{
    Features = 0x01,
    AuthChallenge = 0x02,
    AuthResponse = 0x03,
    Params = 0x04,
    BitmapChunk = 0x05,
    BitmapDone = 0x06,
    SyncStart = 0x07,
    State = 0x08,
    Data = 0x10,
    Barrier = 0x11,
    RecvAck = 0x12,
    WriteAck = 0x13,
    NegAck = 0x14,
    BarrierAck = 0x15,
    ResyncData = 0x16,
    ResyncAck = 0x17,
    SyncDone = 0x18,
    Ping = 0x19,
    PingAck = 0x1A,
    Error = 0x1F,
    DigestRequest = 0x20,
    DigestReply = 0x21,
    ResyncInSync = 0x22,
}
