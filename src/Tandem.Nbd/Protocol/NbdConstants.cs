namespace Tandem.Nbd.Protocol;

/// <summary>Magic numbers and numeric constants of the NBD protocol (NetworkBlockDevice/nbd doc/proto.md).</summary>
public static class NbdConstants
{
    /// <summary>"NBDMAGIC", the first 8 bytes the server sends.</summary>
    public const ulong InitMagic = 0x4E42444D41474943;

    /// <summary>"IHAVEOPT": newstyle negotiation, and the prefix of every option request.</summary>
    public const ulong OptionMagic = 0x49484156454F5054;

    /// <summary>The prefix of every option reply.</summary>
    public const ulong OptionReplyMagic = 0x0003E889045565A9;

    /// <summary>The prefix of every transmission request.</summary>
    public const uint RequestMagic = 0x25609513;

    /// <summary>The prefix of every simple reply.</summary>
    public const uint SimpleReplyMagic = 0x67446698;

    /// <summary>The prefix of every structured reply chunk.</summary>
    public const uint StructuredReplyMagic = 0x668E33EF;

    /// <summary>Handshake flag: fixed newstyle.</summary>
    public const ushort FlagFixedNewstyle = 1;

    /// <summary>Handshake flag: no 124 zero bytes after EXPORT_NAME.</summary>
    public const ushort FlagNoZeroes = 2;

    /// <summary>Client flag: fixed newstyle.</summary>
    public const uint ClientFlagFixedNewstyle = 1;

    /// <summary>Client flag: no zeroes.</summary>
    public const uint ClientFlagNoZeroes = 2;

    /// <summary>The longest string (export name, description) the protocol allows.</summary>
    public const int MaxStringLength = 4096;

    /// <summary>The largest READ or WRITE payload this server accepts (the protocol's 32 MiB floor).</summary>
    public const int MaxPayload = 32 * 1024 * 1024;
}

/// <summary>Option codes (NBD_OPT_*).</summary>
public enum NbdOption : uint
{
    /// <summary>Legacy: choose an export and enter transmission; no error path.</summary>
    ExportName = 1,
    /// <summary>End negotiation.</summary>
    Abort = 2,
    /// <summary>List exports.</summary>
    List = 3,
    /// <summary>Start TLS (not supported).</summary>
    StartTls = 5,
    /// <summary>Describe an export.</summary>
    Info = 6,
    /// <summary>Describe an export and enter transmission.</summary>
    Go = 7,
    /// <summary>Use structured replies.</summary>
    StructuredReply = 8,
    /// <summary>List metadata contexts (not supported).</summary>
    ListMetaContext = 9,
    /// <summary>Select metadata contexts (not supported).</summary>
    SetMetaContext = 10,
}

/// <summary>Option reply types (NBD_REP_*); errors have bit 31 set.</summary>
public enum NbdOptionReply : uint
{
    /// <summary>Done.</summary>
    Ack = 1,
    /// <summary>One export in a LIST reply.</summary>
    Server = 2,
    /// <summary>One information item in an INFO/GO reply.</summary>
    Info = 3,
    /// <summary>The option is not supported.</summary>
    ErrUnsup = 0x80000001,
    /// <summary>Refused by policy.</summary>
    ErrPolicy = 0x80000002,
    /// <summary>Malformed option.</summary>
    ErrInvalid = 0x80000003,
    /// <summary>Not on this platform.</summary>
    ErrPlatform = 0x80000004,
    /// <summary>TLS required.</summary>
    ErrTlsReqd = 0x80000005,
    /// <summary>No such export.</summary>
    ErrUnknown = 0x80000006,
    /// <summary>The server is shutting down.</summary>
    ErrShutdown = 0x80000007,
    /// <summary>Block size negotiation required.</summary>
    ErrBlockSizeReqd = 0x80000008,
    /// <summary>The option payload is too large.</summary>
    ErrTooBig = 0x80000009,
}

/// <summary>Information types in INFO/GO (NBD_INFO_*).</summary>
public enum NbdInfoType : ushort
{
    /// <summary>Size and transmission flags (always sent).</summary>
    Export = 0,
    /// <summary>The canonical export name.</summary>
    Name = 1,
    /// <summary>A human-readable description.</summary>
    Description = 2,
    /// <summary>Minimum, preferred and maximum block sizes.</summary>
    BlockSize = 3,
}

/// <summary>Transmission flags (NBD_FLAG_*), sent per export.</summary>
[Flags]
public enum NbdTransmissionFlags : ushort
{
    /// <summary>No flags.</summary>
    None = 0,
    /// <summary>Always set.</summary>
    HasFlags = 1 << 0,
    /// <summary>The export is read-only.</summary>
    ReadOnly = 1 << 1,
    /// <summary>FLUSH is supported.</summary>
    SendFlush = 1 << 2,
    /// <summary>FUA is supported.</summary>
    SendFua = 1 << 3,
    /// <summary>Seeks are expensive.</summary>
    Rotational = 1 << 4,
    /// <summary>TRIM is supported.</summary>
    SendTrim = 1 << 5,
    /// <summary>WRITE_ZEROES is supported.</summary>
    SendWriteZeroes = 1 << 6,
    /// <summary>The DF flag of READ is supported (structured replies only).</summary>
    SendDf = 1 << 7,
    /// <summary>Several connections may be used, flushes are visible across them.</summary>
    CanMultiConn = 1 << 8,
    /// <summary>CACHE is supported.</summary>
    SendCache = 1 << 10,
    /// <summary>FAST_ZERO is supported.</summary>
    SendFastZero = 1 << 11,
}

/// <summary>Transmission commands (NBD_CMD_*).</summary>
public enum NbdCommand : ushort
{
    /// <summary>Read.</summary>
    Read = 0,
    /// <summary>Write (with a payload).</summary>
    Write = 1,
    /// <summary>Disconnect after outstanding requests.</summary>
    Disconnect = 2,
    /// <summary>Flush.</summary>
    Flush = 3,
    /// <summary>Trim (discard).</summary>
    Trim = 4,
    /// <summary>Prefetch.</summary>
    Cache = 5,
    /// <summary>Write zeroes.</summary>
    WriteZeroes = 6,
    /// <summary>Block status (not supported).</summary>
    BlockStatus = 7,
}

/// <summary>Command flags (NBD_CMD_FLAG_*).</summary>
[Flags]
public enum NbdCommandFlags : ushort
{
    /// <summary>No flags.</summary>
    None = 0,
    /// <summary>Force unit access.</summary>
    Fua = 1 << 0,
    /// <summary>WRITE_ZEROES: do not punch holes.</summary>
    NoHole = 1 << 1,
    /// <summary>READ: do not fragment the reply.</summary>
    DontFragment = 1 << 2,
    /// <summary>BLOCK_STATUS: one extent.</summary>
    ReqOne = 1 << 3,
    /// <summary>WRITE_ZEROES: fail fast rather than write zeros slowly.</summary>
    FastZero = 1 << 4,
}

/// <summary>Structured reply chunk types (NBD_REPLY_TYPE_*).</summary>
public enum NbdReplyType : ushort
{
    /// <summary>No payload (final chunk).</summary>
    None = 0,
    /// <summary>Data at an offset.</summary>
    OffsetData = 1,
    /// <summary>A hole at an offset.</summary>
    OffsetHole = 2,
    /// <summary>An error.</summary>
    Error = 0x8001,
    /// <summary>An error at an offset.</summary>
    ErrorOffset = 0x8002,
}

/// <summary>The errno values NBD carries on the wire (Linux numbering, fixed by the protocol).</summary>
public enum NbdError : uint
{
    /// <summary>Success.</summary>
    None = 0,
    /// <summary>Write on a read-only export.</summary>
    Perm = 1,
    /// <summary>I/O error.</summary>
    Io = 5,
    /// <summary>Out of memory (avoided).</summary>
    NoMem = 12,
    /// <summary>Invalid request.</summary>
    Invalid = 22,
    /// <summary>No space (write past the end).</summary>
    NoSpace = 28,
    /// <summary>Value too large (oversized request).</summary>
    Overflow = 75,
    /// <summary>Not supported (FAST_ZERO only).</summary>
    NotSupported = 95,
    /// <summary>The server is shutting down.</summary>
    Shutdown = 108,
}
