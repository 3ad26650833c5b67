using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Tandem.Core.Model;

namespace Tandem.Membership.Wire;

/// <summary>
/// Writes and reads membership packets (layout in <see cref="PacketHeader"/>). Reading checks, from
/// cheapest to dearest, every length, the magic, version, type, cluster, key index, sender and then
/// the MAC, so that junk costs no hashing; it never throws on input. Replay is checked after this,
/// per link and sender, by <see cref="ReplayWindow"/>.
/// </summary>
public sealed class PacketCodec
{
    /// <summary>The largest packet written or accepted (fits one UDP datagram).</summary>
    public const int MaxPacketSize = 65000;

    /// <summary>The largest payload that fits with the longest name and MAC.</summary>
    public const int MaxPayloadSize = MaxPacketSize - PacketHeader.Size - PacketHeader.MaxNameLength - PacketAuthenticator.MaxMacLength;

    private static readonly UTF8Encoding s_strictUtf8 = new(false, true);

    private readonly PacketAuthenticator _auth;
    private readonly Dictionary<string, string> _nodes;
    private readonly string _localNode;
    private readonly byte[] _localNameUtf8;

    /// <summary>Creates a codec for one node of one cluster.</summary>
    /// <param name="clusterName">The cluster name; its hash travels in every packet.</param>
    /// <param name="nodes">The member node names.</param>
    /// <param name="localNode">This node's name (must be a member).</param>
    /// <param name="auth">The keys.</param>
    public PacketCodec(string clusterName, IEnumerable<string> nodes, string localNode, PacketAuthenticator auth)
    {
        ArgumentNullException.ThrowIfNull(clusterName);
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(auth);
        _auth = auth;
        _nodes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var n in nodes)
        {
            _nodes[n] = n;
        }
        if (!_nodes.TryGetValue(localNode, out var canonical))
        {
            throw new ArgumentException($"node '{localNode}' is not a member of the cluster", nameof(localNode));
        }
        _localNode = canonical;
        _localNameUtf8 = Encoding.UTF8.GetBytes(canonical);
        if (_localNameUtf8.Length is 0 or > PacketHeader.MaxNameLength)
        {
            throw new ArgumentException($"node name '{localNode}' must be 1-{PacketHeader.MaxNameLength} bytes", nameof(localNode));
        }
        ClusterId = ComputeClusterId(clusterName);
    }

    /// <summary>The id of this codec's cluster.</summary>
    public ulong ClusterId { get; }

    /// <summary>This node's name.</summary>
    public string LocalNode => _localNode;

    /// <summary>The id that identifies a cluster on the wire: the first 8 bytes of SHA-256 of its name.</summary>
    /// <param name="clusterName">The cluster name.</param>
    /// <returns>The id.</returns>
    public static ulong ComputeClusterId(string clusterName)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(clusterName), hash);
        return BinaryPrimitives.ReadUInt64BigEndian(hash);
    }

    /// <summary>The size of a packet with this node as sender and a payload of <paramref name="payloadLength"/> bytes.</summary>
    /// <param name="payloadLength">The payload length.</param>
    /// <returns>The packet size.</returns>
    public int PacketSize(int payloadLength) =>
        PacketHeader.Size + _localNameUtf8.Length + payloadLength + _auth.MacLength(_auth.ActiveIndex);

    /// <summary>Writes a packet signed with the active key.</summary>
    /// <param name="type">The packet type.</param>
    /// <param name="generation">This node's generation.</param>
    /// <param name="sequence">The next sequence number.</param>
    /// <param name="payload">The payload, at most <see cref="MaxPayloadSize"/> bytes.</param>
    /// <param name="destination">At least <see cref="PacketSize"/> bytes.</param>
    /// <returns>The packet length.</returns>
    public int Encode(PacketType type, ulong generation, ulong sequence, ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(payload.Length, MaxPayloadSize);
        var size = PacketSize(payload.Length);
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, size);
        new PacketHeader(type, _auth.ActiveIndex, (byte)_localNameUtf8.Length, ClusterId, generation, sequence, (uint)payload.Length)
            .Write(destination);
        _localNameUtf8.CopyTo(destination[PacketHeader.Size..]);
        var payloadOffset = PacketHeader.Size + _localNameUtf8.Length;
        payload.CopyTo(destination[payloadOffset..]);
        var signed = payloadOffset + payload.Length;
        _auth.Compute(_auth.ActiveIndex, destination[..signed], destination[signed..]);
        return size;
    }

    /// <summary>Reads and authenticates a packet. Never throws on any input.</summary>
    /// <param name="packet">The received bytes (one datagram or frame).</param>
    /// <param name="decoded">The packet when accepted.</param>
    /// <returns><see cref="RejectReason.None"/>, or why it was rejected.</returns>
    public RejectReason TryDecode(ReadOnlySpan<byte> packet, out DecodedPacket decoded)
    {
        decoded = default;
        if (packet.Length > MaxPacketSize)
        {
            return RejectReason.Oversized;
        }
        var reason = PacketHeader.TryRead(packet, out var header);
        if (reason != RejectReason.None)
        {
            return reason;
        }
        if (header.ClusterId != ClusterId)
        {
            return RejectReason.OtherCluster;
        }
        var macLength = _auth.MacLength(header.KeyIndex);
        if (macLength < 0)
        {
            return RejectReason.UnknownKey;
        }
        // Lengths in 64 bits: a hostile payload length must not wrap.
        var expected = (long)PacketHeader.Size + header.NameLength + header.PayloadLength + macLength;
        if (packet.Length < expected)
        {
            return expected > MaxPacketSize ? RejectReason.Oversized : RejectReason.Truncated;
        }
        if (packet.Length > expected)
        {
            return RejectReason.Oversized;
        }
        var nameBytes = packet.Slice(PacketHeader.Size, header.NameLength);
        if (!TryFindNode(nameBytes, out var sender))
        {
            return RejectReason.UnknownNode;
        }
        var signed = (int)(expected - macLength);
        if (!_auth.Verify(header.KeyIndex, packet[..signed], packet.Slice(signed, macLength)))
        {
            return RejectReason.BadMac;
        }
        if (ReferenceEquals(sender, _localNode))
        {
            return RejectReason.FromSelf;
        }
        decoded = new DecodedPacket(header, sender, PacketHeader.Size + header.NameLength, (int)header.PayloadLength);
        return RejectReason.None;
    }

    private bool TryFindNode(ReadOnlySpan<byte> nameUtf8, out string canonical)
    {
        canonical = "";
        if (Encoding.UTF8.GetMaxCharCount(nameUtf8.Length) > 256)
        {
            return false;
        }
        Span<char> chars = stackalloc char[256];
        int count;
        try
        {
            count = s_strictUtf8.GetChars(nameUtf8, chars);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
        var lookup = _nodes.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(chars[..count], out var found))
        {
            canonical = found;
            return true;
        }
        return false;
    }
}
