using System.Buffers.Binary;
using System.Text;

namespace Tandem.Resources.Placement;

/// <summary>
/// A message of the placement protocol (standby, takeover, failback, handover), carried by the
/// membership's cluster channel, which already authenticates, orders and retransmits it.
/// </summary>
/// <remarks>
/// Big-endian. Groups are named, not numbered, so that two nodes whose configurations differ by a
/// group never mistake one group for another (a name the receiver does not know is ignored).
/// <code>
/// u8  version (1)
/// u8  type (PlacementMessageType)
/// u32 id (a request's id, echoed by the Released that answers it; 0 when unsolicited)
/// u8  flags (State: bit 0 = the sender has decided its initial placement,
///            bit 1 = the sender asks for the receiver's state; a node that does not know it ignores it)
/// u16 count, then count × { u8 n, n bytes UTF-8 group name, u8 code }
/// u16 n, n bytes UTF-8 reason (at most MaxReasonBytes)
/// </code>
/// </remarks>
/// <param name="Type">The kind.</param>
/// <param name="Id">The request id, or 0.</param>
/// <param name="Flags">Type-specific flags.</param>
/// <param name="Entries">The groups.</param>
/// <param name="Reason">Why, in an operator's words (shown in the receiver's events).</param>
public sealed record PlacementMessage(PlacementMessageType Type, uint Id, byte Flags, IReadOnlyList<PlacementEntry> Entries, string Reason)
{
    /// <summary>The protocol version this build speaks.</summary>
    public const byte Version = 1;

    /// <summary>The most groups one message may name.</summary>
    public const int MaxEntries = 1024;

    /// <summary>The longest reason, in bytes; longer ones are cut when formatted.</summary>
    public const int MaxReasonBytes = 400;

    /// <summary>The fixed part: version, type, id, flags, count (the reason's length follows the entries).</summary>
    public const int HeaderSize = 1 + 1 + 4 + 1 + 2;

    /// <summary>State flag: the sender has decided its initial placement.</summary>
    public const byte FlagStable = 1;

    /// <summary>State flag: the sender asks the receiver to send its state (it dropped what came while it held the receiver dead).</summary>
    public const byte FlagStateWanted = 2;

    /// <summary>Encodes the message.</summary>
    /// <returns>The bytes.</returns>
    /// <exception cref="ArgumentException">Too many entries, or a group name longer than 255 bytes.</exception>
    public byte[] Format()
    {
        if (Entries.Count > MaxEntries)
        {
            throw new ArgumentException($"a placement message names at most {MaxEntries} groups, not {Entries.Count}");
        }
        var names = Entries.Select(e => Encoding.UTF8.GetBytes(e.Group)).ToArray();
        if (names.FirstOrDefault(n => n.Length is 0 or > 255) is { } bad)
        {
            throw new ArgumentException($"a group name must be 1 to 255 bytes of UTF-8, not {bad.Length}");
        }
        var reason = Encoding.UTF8.GetBytes(Reason);
        if (reason.Length > MaxReasonBytes)
        {
            reason = Encoding.UTF8.GetBytes(TruncateUtf8(Reason, MaxReasonBytes));
        }
        var buffer = new byte[HeaderSize + names.Sum(n => 2 + n.Length) + 2 + reason.Length];
        var span = buffer.AsSpan();
        span[0] = Version;
        span[1] = (byte)Type;
        BinaryPrimitives.WriteUInt32BigEndian(span[2..], Id);
        span[6] = Flags;
        BinaryPrimitives.WriteUInt16BigEndian(span[7..], (ushort)Entries.Count);
        var at = HeaderSize;
        for (var i = 0; i < names.Length; i++)
        {
            span[at++] = (byte)names[i].Length;
            names[i].CopyTo(span[at..]);
            at += names[i].Length;
            span[at++] = Entries[i].Code;
        }
        BinaryPrimitives.WriteUInt16BigEndian(span[at..], (ushort)reason.Length);
        reason.CopyTo(span[(at + 2)..]);
        return buffer;
    }

    /// <summary>Decodes a message, checking every length before it is used.</summary>
    /// <param name="data">The bytes.</param>
    /// <returns>The message.</returns>
    /// <exception cref="PlacementProtocolException">Another version, an unknown type, a bad length, or invalid UTF-8.</exception>
    public static PlacementMessage Parse(ReadOnlySpan<byte> data)
    {
        if (data.Length < 1)
        {
            throw new PlacementProtocolException("an empty placement message");
        }
        if (data[0] != Version)
        {
            throw new PlacementProtocolException($"placement protocol version {data[0]} is not spoken here (this node speaks {Version}); upgrade both nodes to the same release");
        }
        if (data.Length < HeaderSize)
        {
            throw new PlacementProtocolException($"a placement message of {data.Length} bytes is shorter than its {HeaderSize}-byte header");
        }
        var type = (PlacementMessageType)data[1];
        if (!Enum.IsDefined(type))
        {
            throw new PlacementProtocolException($"unknown placement message type {data[1]}");
        }
        var id = BinaryPrimitives.ReadUInt32BigEndian(data[2..]);
        var flags = data[6];
        int count = BinaryPrimitives.ReadUInt16BigEndian(data[7..]);
        if (count > MaxEntries)
        {
            throw new PlacementProtocolException($"a placement message names {count} groups; at most {MaxEntries} are allowed");
        }
        var strict = new UTF8Encoding(false, true);
        var entries = new List<PlacementEntry>(count);
        var at = HeaderSize;
        try
        {
            for (var i = 0; i < count; i++)
            {
                if (at >= data.Length)
                {
                    throw new PlacementProtocolException("a placement message ends inside its group list");
                }
                int n = data[at++];
                if (n == 0 || at + n + 1 > data.Length)
                {
                    throw new PlacementProtocolException("a group name's length runs past the end of the placement message");
                }
                var name = strict.GetString(data.Slice(at, n));
                at += n;
                entries.Add(new PlacementEntry(name, data[at++]));
            }
            if (at + 2 > data.Length)
            {
                throw new PlacementProtocolException("a placement message ends before its reason");
            }
            int reasonLength = BinaryPrimitives.ReadUInt16BigEndian(data[at..]);
            at += 2;
            if (reasonLength > MaxReasonBytes || at + reasonLength != data.Length)
            {
                throw new PlacementProtocolException($"a placement message's reason length {reasonLength} does not match its size");
            }
            return new PlacementMessage(type, id, flags, entries, strict.GetString(data.Slice(at, reasonLength)));
        }
        catch (DecoderFallbackException e)
        {
            throw new PlacementProtocolException($"a placement message holds invalid UTF-8: {e.Message}");
        }
    }

    private static string TruncateUtf8(string text, int maxBytes)
    {
        var length = text.Length;
        while (length > 0 && Encoding.UTF8.GetByteCount(text.AsSpan(0, length)) > maxBytes)
        {
            length--;
            if (length > 0 && char.IsHighSurrogate(text[length - 1]))
            {
                length--;
            }
        }
        return text[..length];
    }
}
