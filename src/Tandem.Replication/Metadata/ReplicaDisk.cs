using Tandem.Replication.Uuids;

namespace Tandem.Replication.Metadata;

/// <summary>
/// This node's data: its disk state (drbd.md §2.2) and the metadata transitions that go with each
/// change of it: the generation UUIDs (§3), the flags, and when the bitmap is made durable. Every
/// change that the peer's UUID comparison depends on goes through here, in the order that keeps
/// the on-disk metadata true after a crash at any point (the bitmap before the UUIDs that rely on
/// it). The disk state is guarded by the volume's lock, so that the volume can read it together
/// with its role and the peer's state; the metadata writes run outside that lock.
/// </summary>
internal sealed class ReplicaDisk
{
    private readonly Lock _lock;
    private readonly VolumeEvents _events;
    private readonly SemaphoreSlim _generation = new(1, 1);
    private DiskState _state;
    private int _detached;

    /// <summary>Attaches to opened metadata: not consistent → Inconsistent; consistent but never up
    /// to date → Outdated; else UpToDate while alone (fencing dont-care).</summary>
    public ReplicaDisk(ReplicaMetadata metadata, Lock @lock, VolumeEvents events)
    {
        Metadata = metadata;
        _lock = @lock;
        _events = events;
        _state = (metadata.Flags & MetadataFlags.Consistent) == 0 ? DiskState.Inconsistent
            : (metadata.Flags & MetadataFlags.WasUpToDate) == 0 ? DiskState.Outdated
            : DiskState.UpToDate;
    }

    /// <summary>The metadata this state is persisted in.</summary>
    public ReplicaMetadata Metadata { get; }

    /// <summary>The disk state.</summary>
    public DiskState State
    {
        get
        {
            lock (_lock)
            {
                return _state;
            }
        }
    }

    /// <summary>The disk state, for a caller that holds the volume's lock.</summary>
    public DiskState StateLocked => _state;

    /// <summary>Whether a local disk is attached (not Failed or Diskless); lock-free, it is on the write path.</summary>
    public bool Attached => Volatile.Read(ref _detached) == 0;

    /// <summary>Changes the disk state; a change is logged and published with its reason.</summary>
    public void Set(DiskState state, string reason)
    {
        DiskState old;
        lock (_lock)
        {
            (old, _state) = (_state, state);
        }
        if (old != state)
        {
            Log.DiskChanged(_events.Logger, _events.Resource, old, state, reason);
            _events.Changed("volume.disk", old, state, reason);
        }
    }

    /// <summary>Drops the local disk after an I/O error: Failed, then Diskless; it is not touched again.</summary>
    /// <returns>False if it was already detached.</returns>
    public bool TryDetach(string reason)
    {
        if (Interlocked.Exchange(ref _detached, 1) != 0)
        {
            return false;
        }
        Set(DiskState.Failed, $"local I/O error: {reason}");
        Set(DiskState.Diskless, "detached (on-io-error)");
        Log.Detached(_events.Logger, _events.Resource);
        return true;
    }

    /// <summary>Promotion with --force from data that is not UpToDate: this data becomes a new, current generation.</summary>
    public async Task PromoteForcedAsync(CancellationToken cancellationToken)
    {
        await Metadata.UpdateAsync(u => u.NewCurrent(ReplicaMetadata.NewRandomUuid()) with { Current = ReplicaMetadata.NewRandomUuid() | 1 },
            f => f | MetadataFlags.Consistent | MetadataFlags.WasUpToDate | MetadataFlags.PrimaryIndicator, cancellationToken).ConfigureAwait(false);
        Set(DiskState.UpToDate, "promoted with --force");
    }

    /// <summary>Promotion: the current UUID carries the Primary bit, and a crash now is a crashed Primary's.</summary>
    public Task MarkPrimaryAsync(CancellationToken cancellationToken) =>
        Metadata.UpdateAsync(u => u with { Current = u.Current | 1 }, f => f | MetadataFlags.PrimaryIndicator, cancellationToken);

    /// <summary>Demotion: the bitmap made durable, then the Primary bit and indicator cleared (no-op when detached).</summary>
    public async Task MarkSecondaryAsync(CancellationToken cancellationToken)
    {
        if (!Attached)
        {
            return;
        }
        await Metadata.FlushBitmapAsync(cancellationToken).ConfigureAwait(false);
        await Metadata.UpdateAsync(u => u with { Current = u.Current & ~1UL }, f => f & ~MetadataFlags.PrimaryIndicator, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>DRBD's <c>invalidate</c>: every block out of sync (durably, and flagged FullSync), the disk Inconsistent.</summary>
    public async Task InvalidateAsync(CancellationToken cancellationToken)
    {
        Metadata.Bitmap.SetAll();
        await Metadata.FlushBitmapAsync(cancellationToken).ConfigureAwait(false);
        await Metadata.UpdateAsync(u => u, f => (f & ~(MetadataFlags.Consistent | MetadataFlags.WasUpToDate)) | MetadataFlags.FullSync, cancellationToken).ConfigureAwait(false);
        Set(DiskState.Inconsistent, "invalidate");
    }

    /// <summary>DRBD's <c>new-current-uuid --clear-bitmap</c> on a just-created replica: a first generation, nothing out of sync, UpToDate.</summary>
    public async Task SkipInitialSyncAsync(CancellationToken cancellationToken)
    {
        var fresh = ReplicaMetadata.NewRandomUuid();
        Metadata.Bitmap.ClearAll();
        await Metadata.FlushBitmapAsync(cancellationToken).ConfigureAwait(false);
        await Metadata.UpdateAsync(_ => new GenerationUuids(fresh, 0, 0, 0), f => f | MetadataFlags.Consistent | MetadataFlags.WasUpToDate, cancellationToken).ConfigureAwait(false);
        Set(DiskState.UpToDate, "initial sync skipped (new-current-uuid --clear-bitmap)");
    }

    /// <summary>
    /// A resync as source begins: the generation the target has is kept as the bitmap UUID (a new
    /// one when there is none), so that an interrupted resync resumes from the bitmap; then the
    /// bitmap that resync will clear is made durable.
    /// </summary>
    public async Task BeginSyncSourceAsync(CancellationToken cancellationToken)
    {
        var fresh = ReplicaMetadata.NewRandomUuid();
        await Metadata.UpdateAsync(u => u.Bitmap != 0
                ? new GenerationUuids(u.Current, u.Bitmap + GenerationUuids.NewBitmapOffset, u.Bitmap, u.History0)
                : new GenerationUuids(u.Current, fresh, u.History0, u.History1),
            f => f, cancellationToken).ConfigureAwait(false);
        await Metadata.FlushBitmapAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The resync as source is done: the bitmap UUID is retired and the crash, full-sync and peer-outdated flags cleared.</summary>
    /// <returns>Whether the peer had been marked outdated (the <c>unfence-peer</c> handler then runs).</returns>
    public async Task<bool> FinishSyncSourceAsync(CancellationToken cancellationToken)
    {
        await Metadata.FlushBitmapAsync(cancellationToken).ConfigureAwait(false);
        var wasOutdated = (Metadata.Flags & MetadataFlags.PeerOutdated) != 0;
        await Metadata.UpdateAsync(u => u.ClearBitmap(), f => f & ~(MetadataFlags.CrashedPrimary | MetadataFlags.FullSync | MetadataFlags.PeerOutdated),
            cancellationToken).ConfigureAwait(false);
        return wasOutdated;
    }

    /// <summary>A resync as target begins: this data takes the source's generation and is Inconsistent until it ends.</summary>
    /// <param name="sync">The UUIDs the source sent (its bitmap UUID as current).</param>
    /// <param name="cancellationToken">Cancels the metadata writes.</param>
    public async Task BeginSyncTargetAsync(GenerationUuids sync, CancellationToken cancellationToken)
    {
        await Metadata.UpdateAsync(u => new GenerationUuids(sync.Current & ~1UL, 0, u.History0, u.History1),
            f => f & ~(MetadataFlags.Consistent | MetadataFlags.WasUpToDate), cancellationToken).ConfigureAwait(false);
        await Metadata.FlushBitmapAsync(cancellationToken).ConfigureAwait(false);
        Set(DiskState.Inconsistent, "resync target");
    }

    /// <summary>
    /// A resync as target is done and its data is durable (the caller flushed the backing): the
    /// cleared bitmap, then the source's UUIDs (without the Primary bit), then UpToDate.
    /// </summary>
    public async Task FinishSyncTargetAsync(GenerationUuids uuids, string reason, CancellationToken cancellationToken)
    {
        await Metadata.FlushBitmapAsync(cancellationToken).ConfigureAwait(false);
        await Metadata.UpdateAsync(_ => uuids with { Current = uuids.Current & ~1UL },
            f => (f | MetadataFlags.Consistent | MetadataFlags.WasUpToDate) & ~(MetadataFlags.CrashedPrimary | MetadataFlags.FullSync), cancellationToken).ConfigureAwait(false);
        Set(DiskState.UpToDate, reason);
    }

    /// <summary>
    /// A Primary writing without its peer starts a new data generation on the first such write
    /// (DRBD 9): else a reconnect would find equal UUIDs and skip the resync of those writes.
    /// </summary>
    /// <param name="replicating">Whether the peer gets the writes now (nothing to do then).</param>
    /// <param name="cancellationToken">Cancels the wait and the metadata write.</param>
    public async Task EnsureGenerationAsync(bool replicating, CancellationToken cancellationToken)
    {
        if (replicating || Metadata.Uuids.Bitmap != 0 || !Attached)
        {
            return;
        }
        await _generation.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Metadata.Uuids.Bitmap == 0)
            {
                await Metadata.UpdateAsync(u => u.NewCurrent(ReplicaMetadata.NewRandomUuid()) with { Current = ReplicaMetadata.NewRandomUuid() | 1 },
                    f => f, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _generation.Release();
        }
    }

    /// <summary>
    /// The peer lost its disk while this node keeps the data: the first time, start a new data
    /// generation (bitmap UUID = the generation the peer's disk has), so that the peer's old disk,
    /// if it comes back, is a bitmap-based sync target (rule bitmap-peer) instead of equal.
    /// </summary>
    /// <param name="primary">Whether this node is Primary (the new current UUID carries the bit).</param>
    /// <param name="cancellationToken">Cancels the wait and the metadata write.</param>
    public async Task OnPeerDisklessAsync(bool primary, CancellationToken cancellationToken)
    {
        if (State != DiskState.UpToDate)
        {
            return;
        }
        await _generation.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Metadata.Uuids.Bitmap == 0)
            {
                var primaryBit = primary ? 1UL : 0;
                await Metadata.UpdateAsync(u =>
                {
                    var next = u.NewCurrent(ReplicaMetadata.NewRandomUuid());
                    return next with { Current = next.Current | primaryBit };
                }, f => f, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _generation.Release();
        }
    }

    /// <summary>DRBD's <c>outdate</c>: consistent but stale data becomes Outdated (persisted); worse data stays as it is.</summary>
    /// <returns>The disk state afterwards.</returns>
    public async Task<DiskState> OutdateAsync(DiskState disk, CancellationToken cancellationToken)
    {
        if (disk is not (DiskState.UpToDate or DiskState.Consistent))
        {
            return disk;
        }
        await Metadata.UpdateAsync(u => u, f => (f | MetadataFlags.Consistent) & ~MetadataFlags.WasUpToDate, cancellationToken).ConfigureAwait(false);
        Set(DiskState.Outdated, "outdated (fenced by the peer)");
        Log.Outdated(_events.Logger, _events.Resource, "outdate");
        return DiskState.Outdated;
    }

    /// <summary>Outdated data found in sync with an UpToDate peer (no resync needed) is UpToDate again.</summary>
    /// <returns>Whether the state changed (the peer is then told).</returns>
    public async Task<bool> InSyncWithUpToDatePeerAsync(CancellationToken cancellationToken)
    {
        if (State != DiskState.Outdated)
        {
            return false;
        }
        await Metadata.UpdateAsync(u => u, f => f | MetadataFlags.Consistent | MetadataFlags.WasUpToDate, cancellationToken).ConfigureAwait(false);
        Set(DiskState.UpToDate, "in sync with the UpToDate peer");
        return true;
    }

    /// <summary>Behind an Ahead peer: UpToDate data is consistent but stale (Outdated) until the resync.</summary>
    public async Task FallBehindAsync(CancellationToken cancellationToken)
    {
        if (State == DiskState.UpToDate)
        {
            await Metadata.UpdateAsync(u => u, f => f & ~MetadataFlags.WasUpToDate, cancellationToken).ConfigureAwait(false);
            Set(DiskState.Outdated, "Behind the Ahead peer");
        }
    }

    /// <summary>Records that fencing outdated the peer (an optimisation for the next start: failures are ignored).</summary>
    public async Task MarkPeerOutdatedAsync()
    {
        try
        {
            await Metadata.UpdateAsync(u => u, f => f | MetadataFlags.PeerOutdated, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // A failing (or closed) disk: the flag is an optimisation for the next start.
        }
    }

    /// <summary>The peer is UpToDate again: forget that it was outdated, and run <c>unfence-peer</c>.</summary>
    public async Task ClearPeerOutdatedAsync(CancellationToken cancellationToken)
    {
        if ((Metadata.Flags & MetadataFlags.PeerOutdated) != 0 && Attached)
        {
            await Metadata.UpdateAsync(u => u, f => f & ~MetadataFlags.PeerOutdated, cancellationToken).ConfigureAwait(false);
            _events.NotifyHandler("unfence-peer");
        }
    }
}
