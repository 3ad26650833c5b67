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
    private readonly PacketAuthenticator[] _linkAuth;
    private readonly Dictionary<string, string> _nodes;
    private readonly string _localNode;
    private readonly byte[] _localNameUtf8;

    /// <summary>Creates a codec for one node of one cluster.</summary>
    /// <param name="clusterName">The cluster name; its hash travels in every packet.</param>
    /// <param name="nodes">The member node names.</param>
    /// <param name="localNode">This node's name (must be a member).</param>
    /// <param name="auth">The keys.</param>
    /// <param name="links">
    /// The identities of the cluster's heartbeat links (<see cref="LinkIdentity.Of"/>), in
    /// configuration order: packets encoded for link <c>i</c> are signed with that link's derived
    /// keys (<see cref="PacketAuthenticator.ForLink"/>).
    /// </param>
    public PacketCodec(string clusterName, IEnumerable<string> nodes, string localNode, PacketAuthenticator auth, IEnumerable<string>? links = null)
    {
        ArgumentNullException.ThrowIfNull(clusterName);
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(auth);
        _auth = auth;
        _linkAuth = [.. (links ?? []).Select(auth.ForLink)];
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

    /// <summary>The number of links this codec binds packets to.</summary>
    public int LinkCount => _linkAuth.Length;

    /// <summary>Writes a packet signed with the active key, in the format without link binding (version 1).</summary>
    /// <param name="type">The packet type.</param>
    /// <param name="generation">This node's generation.</param>
    /// <param name="sequence">The next sequence number.</param>
    /// <param name="payload">The payload, at most <see cref="MaxPayloadSize"/> bytes.</param>
    /// <param name="destination">At least <see cref="PacketSize"/> bytes.</param>
    /// <returns>The packet length.</returns>
    public int Encode(PacketType type, ulong generation, ulong sequence, ReadOnlySpan<byte> payload, Span<byte> destination) =>
        Encode(type, generation, sequence, payload, destination, link: -1);

    /// <summary>
    /// Writes a packet signed with the active key; with <paramref name="link"/> at 0 or more, bound to
    /// that link (version 2): it verifies only when it arrives on that link.
    /// </summary>
    /// <param name="type">The packet type.</param>
    /// <param name="generation">This node's generation.</param>
    /// <param name="sequence">The next sequence number.</param>
    /// <param name="payload">The payload, at most <see cref="MaxPayloadSize"/> bytes.</param>
    /// <param name="destination">At least <see cref="PacketSize"/> bytes.</param>
    /// <param name="link">The index of the link it is sent on, or -1 for the unbound format.</param>
    /// <returns>The packet length.</returns>
    public int Encode(PacketType type, ulong generation, ulong sequence, ReadOnlySpan<byte> payload, Span<byte> destination, int link)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(payload.Length, MaxPayloadSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(link, _linkAuth.Length);
        var size = PacketSize(payload.Length);
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, size);
        var auth = link < 0 ? _auth : _linkAuth[link];
        var version = link < 0 ? PacketHeader.LegacyVersion : PacketHeader.LinkBoundVersion;
        new PacketHeader(type, _auth.ActiveIndex, (byte)_localNameUtf8.Length, ClusterId, generation, sequence, (uint)payload.Length, version)
            .Write(destination);
        _localNameUtf8.CopyTo(destination[PacketHeader.Size..]);
        var payloadOffset = PacketHeader.Size + _localNameUtf8.Length;
        payload.CopyTo(destination[payloadOffset..]);
        var signed = payloadOffset + payload.Length;
        auth.Compute(_auth.ActiveIndex, destination[..signed], destination[signed..]);
        return size;
    }

    /// <summary>Reads and authenticates a packet not received on a known link (only the unbound format verifies).</summary>
    /// <param name="packet">The received bytes (one datagram or frame).</param>
    /// <param name="decoded">The packet when accepted.</param>
    /// <returns><see cref="RejectReason.None"/>, or why it was rejected.</returns>
    public RejectReason TryDecode(ReadOnlySpan<byte> packet, out DecodedPacket decoded) => TryDecode(packet, -1, out decoded);

    /// <summary>Reads and authenticates a packet received on a link. Never throws on any input.</summary>
    /// <param name="packet">The received bytes (one datagram or frame).</param>
    /// <param name="link">The index of the link it arrived on, or -1.</param>
    /// <param name="decoded">The packet when accepted.</param>
    /// <returns>
    /// <see cref="RejectReason.None"/>, or why it was rejected: <see cref="RejectReason.WrongLink"/> when
    /// it is authentic but was signed for another link.
    /// </returns>
    public RejectReason TryDecode(ReadOnlySpan<byte> packet, int link, out DecodedPacket decoded) =>
        TryDecode(packet, link, out decoded, out _);

    /// <summary>Reads and authenticates a packet received on a link. Never throws on any input.</summary>
    /// <param name="packet">The received bytes (one datagram or frame).</param>
    /// <param name="link">The index of the link it arrived on, or -1.</param>
    /// <param name="decoded">The packet when accepted.</param>
    /// <param name="signedFor">
    /// With <see cref="RejectReason.WrongLink"/>, the index of the link the packet was signed for
    /// (a relay, or two nodes whose configurations list the links of a kind in another order); else -1.
    /// </param>
    /// <returns>
    /// <see cref="RejectReason.None"/>, or why it was rejected: <see cref="RejectReason.WrongLink"/> when
    /// it is authentic but was signed for another link.
    /// </returns>
    public RejectReason TryDecode(ReadOnlySpan<byte> packet, int link, out DecodedPacket decoded, out int signedFor)
    {
        decoded = default;
        signedFor = -1;
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
        var data = packet[..signed];
        var mac = packet.Slice(signed, macLength);
        if (header.Version == PacketHeader.LegacyVersion)
        {
            if (!_auth.Verify(header.KeyIndex, data, mac))
            {
                return RejectReason.BadMac;
            }
        }
        else if (link < 0 || link >= _linkAuth.Length || !_linkAuth[link].Verify(header.KeyIndex, data, mac))
        {
            // Which link it was signed for tells a relay (authentic, wrong place) from a forgery;
            // only a packet that failed costs these extra MACs, one per other link.
            for (var other = 0; other < _linkAuth.Length; other++)
            {
                if (other != link && _linkAuth[other].Verify(header.KeyIndex, data, mac))
                {
                    signedFor = other;
                    return ReferenceEquals(sender, _localNode) ? RejectReason.FromSelf : RejectReason.WrongLink;
                }
            }
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
