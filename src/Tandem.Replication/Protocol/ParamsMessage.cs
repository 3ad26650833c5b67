using System.Buffers.Binary;
using System.Text;
using Tandem.Core.Model;
using Tandem.Replication.Uuids;

namespace Tandem.Replication.Protocol;

/// <summary>
/// Settings and state exchanged after authentication (DRBD's P_PROTOCOL + P_SIZES + P_UUIDS +
/// P_STATE in one frame). Layout (big-endian): protocol u8, flags u8 (1 discard-my-data,
/// 2 allow-two-primaries), role u8, disk u8, reserved u32, usable size i64, uuids 4×u64,
/// uuid flags u32 (2 crashed primary, 4 inconsistent), reserved u32, dirty blocks i64,
/// then the three after-sb policies, each u8 length + ASCII, then the node name likewise.
/// </summary>
internal sealed record ParamsMessage
{
    private const int FixedSize = 4 + 4 + 8 + 32 + 8 + 8;

    public ReplicationProtocol Protocol { get; init; }
    public bool DiscardMyData { get; init; }
    public bool AllowTwoPrimaries { get; init; }
    public Role Role { get; init; }
    public DiskState Disk { get; init; }
    public long Size { get; init; }
    public GenerationUuids Uuids { get; init; }
    public bool CrashedPrimary { get; init; }
    public bool Inconsistent { get; init; }
    public long DirtyBlocks { get; init; }
    public SplitBrainPolicies Policies { get; init; } = new();
    public string NodeName { get; init; } = "";

    public byte[] Format()
    {
        var strings = new[] { Policies.ZeroPrimaries, Policies.OnePrimary, Policies.TwoPrimaries, NodeName }
            .Select(s => Encoding.ASCII.GetBytes(s.Length > 200 ? s[..200] : s)).ToArray();
        var b = new byte[FixedSize + strings.Sum(s => 1 + s.Length)];
        b[0] = (byte)Protocol;
        b[1] = (byte)((DiscardMyData ? 1 : 0) | (AllowTwoPrimaries ? 2 : 0));
        b[2] = (byte)Role;
        b[3] = (byte)Disk;
        BinaryPrimitives.WriteInt64BigEndian(b.AsSpan(8), Size);
        BinaryPrimitives.WriteUInt64BigEndian(b.AsSpan(16), Uuids.Current);
        BinaryPrimitives.WriteUInt64BigEndian(b.AsSpan(24), Uuids.Bitmap);
        BinaryPrimitives.WriteUInt64BigEndian(b.AsSpan(32), Uuids.History0);
        BinaryPrimitives.WriteUInt64BigEndian(b.AsSpan(40), Uuids.History1);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(48), (CrashedPrimary ? 2u : 0) | (Inconsistent ? 4u : 0));
        BinaryPrimitives.WriteInt64BigEndian(b.AsSpan(56), DirtyBlocks);
        var at = FixedSize;
        foreach (var s in strings)
        {
            b[at++] = (byte)s.Length;
            s.CopyTo(b, at);
            at += s.Length;
        }
        return b;
    }

    public static bool TryParse(ReadOnlySpan<byte> s, out ParamsMessage m, out string error)
    {
        m = new ParamsMessage();
        if (s.Length < FixedSize)
        {
            error = "short parameters";
            return false;
        }
        if (s[0] > (byte)ReplicationProtocol.C || s[2] > (byte)Role.Primary || s[3] > (byte)DiskState.UpToDate)
        {
            error = "parameter value out of range";
            return false;
        }
        var size = BinaryPrimitives.ReadInt64BigEndian(s[8..]);
        var dirty = BinaryPrimitives.ReadInt64BigEndian(s[56..]);
        if (size < 0 || dirty < 0)
        {
            error = "negative size";
            return false;
        }
        var strings = new string[4];
        var at = FixedSize;
        for (var i = 0; i < 4; i++)
        {
            if (at >= s.Length || at + 1 + s[at] > s.Length)
            {
                error = "truncated parameter strings";
                return false;
            }
            strings[i] = Encoding.ASCII.GetString(s.Slice(at + 1, s[at]));
            at += 1 + s[at];
        }
        var flags = BinaryPrimitives.ReadUInt32BigEndian(s[48..]);
        m = new ParamsMessage
        {
            Protocol = (ReplicationProtocol)s[0],
            DiscardMyData = (s[1] & 1) != 0,
            AllowTwoPrimaries = (s[1] & 2) != 0,
            Role = (Role)s[2],
            Disk = (DiskState)s[3],
            Size = size,
            Uuids = new GenerationUuids(BinaryPrimitives.ReadUInt64BigEndian(s[16..]), BinaryPrimitives.ReadUInt64BigEndian(s[24..]),
                BinaryPrimitives.ReadUInt64BigEndian(s[32..]), BinaryPrimitives.ReadUInt64BigEndian(s[40..])),
            CrashedPrimary = (flags & 2) != 0,
            Inconsistent = (flags & 4) != 0,
            DirtyBlocks = dirty,
            Policies = new SplitBrainPolicies(strings[0], strings[1], strings[2]),
            NodeName = strings[3],
        };
        error = "";
        return true;
    }
}
