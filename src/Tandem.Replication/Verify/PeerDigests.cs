using System.Buffers.Binary;
using System.Text;
using Tandem.Core.Volumes;
using Tandem.Replication.Peer;
using Tandem.Replication.Protocol;

namespace Tandem.Replication.Verify;

/// <summary>
/// The digest exchange of online verify and checksum-based resync: asks the peer for the digests
/// (one per 4 KiB block) of a range and waits for its DigestReply, and answers the peer's
/// DigestRequest from the local data.
/// </summary>
internal sealed class PeerDigests(IVolumeHost host, IBlockVolume backing)
{
    /// <summary>Registers the handlers of DigestRequest and DigestReply.</summary>
    public FrameDispatcher Register(FrameDispatcher frames) => frames
        .On(FrameType.DigestRequest, OnDigestRequestAsync)
        .On(FrameType.DigestReply, OnDigestReply);

    /// <summary>The peer's digests of a range (at most one resync chunk); fails when the session ends.</summary>
    public static async Task<byte[]> RequestAsync(PeerSession session, string alg, long offset, int length, CancellationToken cancellationToken)
    {
        var tcs = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        session.Digests[offset] = tcs;
        var request = ReplicationMessages.Ack(0, offset, length).Concat(Encoding.ASCII.GetBytes(alg)).ToArray();
        session.Send(FrameType.DigestRequest, request, control: false);
        using var registration = cancellationToken.Register(() => tcs.TrySetCanceled(cancellationToken));
        return await tcs.Task.ConfigureAwait(false);
    }

    /// <summary>The digests of a range (online verify, checksum resync), from the local data.</summary>
    private async Task OnDigestRequestAsync(PeerSession s, byte[] payload, CancellationToken ct)
    {
        if (payload.Length <= ReplicationMessages.AckSize || !ReplicationMessages.TryParseAck(payload.AsSpan(0, ReplicationMessages.AckSize), out var req))
        {
            throw new ProtocolException("malformed digest request");
        }
        var alg = Encoding.ASCII.GetString(payload, ReplicationMessages.AckSize, payload.Length - ReplicationMessages.AckSize);
        if (!BlockDigest.IsKnown(alg) || req.Length > FrameHeader.ResyncChunk || req.Offset + req.Length > host.Size)
        {
            throw new ProtocolException($"bad digest request ({alg}, {req.Offset}+{req.Length})");
        }
        var data = new byte[req.Length];
        await host.LocalAsync(() => backing.ReadAsync(req.Offset, data, ct)).ConfigureAwait(false);
        var digests = BlockDigest.Compute(alg, data);
        var reply = new byte[12 + digests.Length];
        BinaryPrimitives.WriteInt64BigEndian(reply, req.Offset);
        BinaryPrimitives.WriteInt32BigEndian(reply.AsSpan(8), BlockDigest.Size(alg));
        digests.CopyTo(reply, 12);
        s.Send(FrameType.DigestReply, reply, control: true);
    }

    private static void OnDigestReply(PeerSession s, byte[] payload)
    {
        if (payload.Length < 12)
        {
            throw new ProtocolException("malformed digest reply");
        }
        var offset = BinaryPrimitives.ReadInt64BigEndian(payload);
        if (s.Digests.TryRemove(offset, out var waiter))
        {
            waiter.TrySetResult(payload[12..]);
        }
    }
}
