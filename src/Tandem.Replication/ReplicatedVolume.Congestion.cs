using Tandem.Core.Model;
using Tandem.Replication.Metadata;
using Tandem.Replication.Peer;
using Tandem.Replication.Protocol;
using Tandem.Replication.Writes;

namespace Tandem.Replication;

// Congestion (drbd.md §4.5): under protocol A with on-congestion pull-ahead, a Primary whose
// unacknowledged replication data (congestion-fill) or busy activity-log extents
// (congestion-extents) exceed the limit goes Ahead: it stops sending data and only tells the peer
// which blocks changed (the peer is Behind, Outdated); when the congestion clears a resync brings
// the peer back. on-congestion disconnect drops the connection instead.
public sealed partial class ReplicatedVolume
{
    /// <summary>Marks the congestion out-of-sync notice (vs. a diskless Primary's).</summary>
    private const ulong AheadNotice = 1;

    private static readonly TimeSpan CongestionCheck = TimeSpan.FromMilliseconds(100);

    private bool CongestionControlled => _options.Protocol == ReplicationProtocol.A && _options.OnCongestion != CongestionPolicy.Block
        && (_options.CongestionFill > 0 || _options.CongestionExtents > 0);

    /// <summary>Whether the link counts as congested; leaving Ahead needs the load below half the limits.</summary>
    private bool CongestedLocked(bool leaving)
    {
        if (!CongestionControlled)
        {
            return false;
        }
        var fill = leaving ? _options.CongestionFill / 2 : _options.CongestionFill;
        var extents = leaving ? _options.CongestionExtents / 2 : _options.CongestionExtents;
        return (_options.CongestionFill > 0 && _log.Bytes > fill)
            || (_options.CongestionExtents > 0 && _md.ActivityLog.BusyExtents > extents);
    }

    /// <summary>Applies on-congestion to a write about to be sent; true when it is not to be sent.</summary>
    private bool OnCongestionLocked(PeerSession s, long offset, int length)
    {
        var why = $"{_log.Bytes} bytes unacknowledged, {_md.ActivityLog.BusyExtents} busy extents";
        if (_options.OnCongestion == CongestionPolicy.Disconnect)
        {
            Log.Congestion(_events.Logger, Resource, "disconnecting", why);
            _events.Publish("volume.congestion", $"congested ({why}): disconnecting", ("state", "Disconnect"));
            s.LostReason = $"congestion ({why}), on-congestion disconnect";
            s.Abort();
            return true;
        }
        if (!s.Extended)
        {
            return false; // an older peer knows no out-of-sync notice: block
        }
        _replication = ReplicationState.Ahead;
        Log.Congestion(_events.Logger, Resource, "Ahead", why);
        _events.Publish("volume.congestion", $"congested ({why}): Ahead, only marking blocks out of sync", ("state", "Ahead"));
        AheadLocked(s, offset, length);
        return true;
    }

    /// <summary>A write while Ahead: not sent; the peer marks its blocks out of sync.</summary>
    private void AheadLocked(PeerSession s, long offset, int length)
    {
        // The epoch of the last sent writes must be closed, or its barrier ack never drains the fill.
        CloseEpochLocked();
        s.Send(FrameType.OutOfSync, ReplicationMessages.Ack(AheadNotice, offset, length), control: false);
    }

    /// <summary>While Ahead, waits for the congestion to clear, then resyncs the marked blocks to the peer.</summary>
    private async Task CongestionMonitorAsync(PeerSession s)
    {
        var ct = s.Cts.Token;
        try
        {
            while (true)
            {
                await Task.Delay(CongestionCheck, _time, ct).ConfigureAwait(false);
                bool clear;
                lock (_lock)
                {
                    clear = _replication == ReplicationState.Ahead && !CongestedLocked(leaving: true);
                }
                if (clear)
                {
                    Log.Congestion(_events.Logger, Resource, "cleared", "resyncing the blocks written while Ahead");
                    _events.Publish("volume.congestion", "congestion cleared: resync", ("state", "Cleared"));
                    await _resyncSource.StartAsync(s, "congestion cleared (Ahead -> SyncSource)", ct).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            Log.ConnectionLost(_events.Logger, Resource, $"resync after congestion failed: {ex.Message}");
            s.Abort();
        }
    }

    /// <summary>The peer went Ahead: this node is Behind; its data is consistent but stale (Outdated) until the resync.</summary>
    private async Task OnPeerAheadAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_replication != ReplicationState.Established)
            {
                return;
            }
            _replication = ReplicationState.Behind;
        }
        Log.Congestion(_events.Logger, Resource, "Behind", "the peer is Ahead");
        _events.Publish("volume.congestion", "the peer is Ahead: Behind until the resync", ("state", "Behind"));
        await _disk.FallBehindAsync(cancellationToken).ConfigureAwait(false);
    }
}
