using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Tandem.Replication.Peer;
using Tandem.Replication.Protocol;

namespace Tandem.Replication;

// Online resize (drbd.md §11 "resize"): both replicas agree on the new size; a grown backing with
// internal metadata has its metadata moved to the new end first; the grown area is resynced from
// the node that resized.
public sealed partial class ReplicatedVolume
{
    /// <summary>
    /// Changes the size of the replicated volume on both nodes (DRBD's <c>resize</c>). Grow the
    /// backings of both nodes first; the new size must fit both (their usable sizes after their
    /// metadata moved to the new end). The grown area is then resynced from this node (unless
    /// <paramref name="assumeClean"/>, for backings known to hold identical bytes there, e.g.
    /// both zeroed). Shrinking is refused unless <paramref name="force"/>: shrink the filesystem
    /// first, since data beyond the new size is dropped.
    /// </summary>
    /// <param name="newSize">The new size in bytes, a multiple of 4 KiB.</param>
    /// <param name="force">Allow shrinking.</param>
    /// <param name="assumeClean">Do not resync the grown area.</param>
    /// <param name="cancellationToken">Cancels the wait for the peer.</param>
    /// <returns>Completes when both nodes use the new size (the resync of the grown area may still run).</returns>
    /// <exception cref="InvalidOperationException">Refused, with the reason.</exception>
    public async Task ResizeAsync(long newSize, bool force, bool assumeClean, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        if (newSize <= 0 || newSize % 4096 != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(newSize), newSize, "the size must be a positive multiple of 4096 bytes");
        }
        PeerSession s;
        lock (_lock)
        {
            if (_session is null || _replication != ReplicationState.Established)
            {
                throw new InvalidOperationException($"{Resource}: resize needs an established connection with no resync running (both nodes must agree on the size)");
            }
            if (_role == Role.Secondary && _peerRole == Role.Primary)
            {
                throw new InvalidOperationException($"{Resource}: resize on the Primary (its data fills the grown area)");
            }
            if (!_session.Extended)
            {
                throw new InvalidOperationException($"{Resource}: the peer runs an older Tandem without online resize; upgrade it first");
            }
            if (_disk.StateLocked != DiskState.UpToDate || _peerDisk != DiskState.UpToDate)
            {
                throw new InvalidOperationException($"{Resource}: resize needs UpToDate disks on both nodes");
            }
            s = _session;
        }
        var old = Size;
        if (newSize == old)
        {
            return;
        }
        if (newSize < old && !force)
        {
            throw new InvalidOperationException(
                $"{Resource}: refusing to shrink from {old} to {newSize} bytes: data beyond the new size is lost; shrink the filesystem first, then resize with --force");
        }
        await GateAndSnapshotAsync().ConfigureAwait(false); // holds new writes, waits for those in flight
        try
        {
            long usable;
            try
            {
                usable = await _md.GrowAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Metadata.MetadataException ex)
            {
                throw new InvalidOperationException($"{Resource}: {ex.Message}", ex);
            }
            if (newSize > usable)
            {
                throw new InvalidOperationException($"{Resource}: this node's backing allows at most {usable} bytes; grow the backing first");
            }
            var reply = new TaskCompletionSource<(bool Ok, long Usable, string Reason)>(TaskCreationOptions.RunContinuationsAsynchronously);
            s.ResizeReply = reply;
            var request = new byte[8];
            BinaryPrimitives.WriteInt64BigEndian(request, newSize);
            using (s.Cts.Token.Register(() => reply.TrySetException(new InvalidOperationException($"{Resource}: connection lost during the resize"))))
            {
                s.Send(FrameType.ResizeRequest, request, control: false);
                var answer = await reply.Task.WaitAsync(HandshakeTimeout, _time, cancellationToken).ConfigureAwait(false);
                if (!answer.Ok)
                {
                    throw new InvalidOperationException($"{Resource}: the peer refused the resize: {answer.Reason}");
                }
            }
            await ApplySizeAsync(old, newSize, "resize", cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            OpenGate();
        }
        if (newSize > old && !assumeClean)
        {
            _md.Bitmap.Set(old, newSize - old);
            await _resyncSource.StartAsync(s, "resync of the grown area", cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task ApplySizeAsync(long old, long newSize, string reason, CancellationToken cancellationToken)
    {
        Interlocked.Exchange(ref _size, newSize);
        await _md.SetLastAgreedSizeAsync(newSize, cancellationToken).ConfigureAwait(false);
        if (newSize < old)
        {
            _md.Bitmap.Clear(newSize, _md.Bitmap.Blocks * Tandem.Replication.Metadata.QuickSyncBitmap.BytesPerBit - newSize);
        }
        Log.Resized(_events.Logger, Resource, old, newSize, reason);
        _events.Publish("volume.resize", $"size {old} -> {newSize} bytes", ("old", old.ToString(CultureInfo.InvariantCulture)), ("new", newSize.ToString(CultureInfo.InvariantCulture)));
    }

    private async Task OnResizeRequestAsync(PeerSession s, byte[] payload, CancellationToken ct)
    {
        if (payload.Length != 8)
        {
            throw new ProtocolException("malformed resize request");
        }
        var newSize = BinaryPrimitives.ReadInt64BigEndian(payload);
        if (newSize <= 0 || newSize % 4096 != 0)
        {
            throw new ProtocolException($"bad resize request to {newSize} bytes");
        }
        bool ok;
        long usable = 0;
        string reason;
        try
        {
            if (!_disk.Attached)
            {
                (ok, reason) = (false, "the peer has no local disk");
            }
            else
            {
                usable = await _md.GrowAsync(ct).ConfigureAwait(false);
                if (newSize > usable)
                {
                    (ok, reason) = (false, $"the peer's backing allows at most {usable} bytes; grow it first");
                }
                else
                {
                    await ApplySizeAsync(Size, newSize, "resize by the peer", ct).ConfigureAwait(false);
                    (ok, reason) = (true, "");
                }
            }
        }
        catch (IOException ex)
        {
            (ok, reason) = (false, $"metadata I/O failed: {ex.Message}");
        }
        catch (Metadata.MetadataException ex)
        {
            (ok, reason) = (false, ex.Message);
        }
        var text = Encoding.UTF8.GetBytes(reason.Length > 400 ? reason[..400] : reason);
        var reply = new byte[9 + text.Length];
        reply[0] = ok ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt64BigEndian(reply.AsSpan(1), usable);
        text.CopyTo(reply, 9);
        s.Send(FrameType.ResizeReply, reply, control: true);
    }

    private static void OnResizeReply(PeerSession s, byte[] payload)
    {
        if (payload.Length < 9)
        {
            throw new ProtocolException("malformed resize reply");
        }
        s.ResizeReply?.TrySetResult((payload[0] == 1, BinaryPrimitives.ReadInt64BigEndian(payload.AsSpan(1)), Encoding.UTF8.GetString(payload, 9, payload.Length - 9)));
    }
}
