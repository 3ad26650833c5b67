using Tandem.Core.Volumes;
using Tandem.Replication.Metadata;
using Tandem.Replication.Peer;
using Tandem.Replication.Protocol;

namespace Tandem.Replication.Verify;

/// <summary>
/// Online verify (drbd.md §4.3): compares a digest (<c>verify-alg</c>) of every 4 KiB block with
/// the peer's, chunk by chunk, and marks the differing blocks out of sync (durably). What to do
/// with them (nothing, as in DRBD, or a resync from here) is the caller's decision.
/// </summary>
internal sealed class OnlineVerify(IVolumeHost host, IBlockVolume backing, ReplicaMetadata metadata, VolumeEvents events)
{
    /// <summary>Checks that <paramref name="alg"/> names a verify-alg this build knows.</summary>
    /// <exception cref="InvalidOperationException">None is configured, or it is unknown.</exception>
    public static string CheckAlgorithm(string resource, string? alg)
    {
        if (alg is null)
        {
            throw new InvalidOperationException($"{resource}: no verify-alg is configured");
        }
        if (!BlockDigest.IsKnown(alg))
        {
            throw new InvalidOperationException($"{resource}: verify-alg '{alg}' is not one of md5, sha1, sha256, sha512, crc32c");
        }
        return alg;
    }

    /// <summary>Verifies the whole agreed size against the peer of <paramref name="session"/>.</summary>
    /// <returns>The number of bytes found out of sync.</returns>
    public async Task<long> RunAsync(PeerSession session, string alg, CancellationToken cancellationToken)
    {
        events.Publish("volume.verify.started", $"online verify with {alg}");
        long found = 0;
        var buffer = new byte[FrameHeader.ResyncChunk];
        var size = BlockDigest.Size(alg);
        for (long offset = 0; offset < host.Size; offset += FrameHeader.ResyncChunk)
        {
            var length = (int)Math.Min(FrameHeader.ResyncChunk, host.Size - offset);
            var mine = buffer.AsMemory(0, length);
            await backing.ReadAsync(offset, mine, cancellationToken).ConfigureAwait(false);
            var local = BlockDigest.Compute(alg, mine.Span);
            var peer = await PeerDigests.RequestAsync(session, alg, offset, length, cancellationToken).ConfigureAwait(false);
            for (var b = 0; b * size < local.Length; b++)
            {
                if (peer.Length < (b + 1) * size || !local.AsSpan(b * size, size).SequenceEqual(peer.AsSpan(b * size, size)))
                {
                    metadata.Bitmap.Set(offset + (long)b * QuickSyncBitmap.BytesPerBit, QuickSyncBitmap.BytesPerBit);
                    found += QuickSyncBitmap.BytesPerBit;
                }
            }
        }
        await metadata.FlushBitmapAsync(cancellationToken).ConfigureAwait(false);
        events.Publish("volume.verify.finished", $"{found} bytes out of sync", ("outOfSyncBytes", found.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return found;
    }
}
