using Tandem.Replication.Metadata;

namespace Tandem.Replication.Writes;

/// <summary>
/// Mutual exclusion of application writes and resync reads by range: one lock per 4 MiB extent
/// (modulo <see cref="Count"/>). Under them an application write to the same blocks as a resync
/// read is either wholly before it or wholly after it, so the peer never keeps older data than
/// this node's. Every range takes its stripes in one global order, so no two ranges ever wait
/// for each other in a cycle.
/// </summary>
internal sealed class StripeLocks
{
    /// <summary>How many stripes there are.</summary>
    public const int Count = 64;

    private readonly SemaphoreSlim[] _stripes = [.. Enumerable.Range(0, Count).Select(_ => new SemaphoreSlim(1, 1))];

    /// <summary>Takes the stripes of a range; cancelled half-way, it releases those it took.</summary>
    public async Task LockAsync(long offset, long length, CancellationToken cancellationToken)
    {
        var (first, count) = StripesOf(offset, length);
        var taken = 0;
        try
        {
            for (; taken < count; taken++)
            {
                await _stripes[StripeAt(first, count, taken)].WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            // Cancelled half-way: the stripes already taken must not stay locked for good.
            for (var i = 0; i < taken; i++)
            {
                _stripes[StripeAt(first, count, i)].Release();
            }
            throw;
        }
    }

    /// <summary>Releases the stripes of a range taken by <see cref="LockAsync"/>.</summary>
    public void Unlock(long offset, long length)
    {
        var (first, count) = StripesOf(offset, length);
        for (var i = 0; i < count; i++)
        {
            _stripes[StripeAt(first, count, i)].Release();
        }
    }

    /// <summary>The <paramref name="i"/>-th of a range's stripes in ascending order: every range takes
    /// its stripes in the one global order.</summary>
    /// <param name="first">The stripe of the range's first extent.</param>
    /// <param name="count">How many stripes the range covers.</param>
    /// <param name="i">Which of them.</param>
    public static int StripeAt(int first, int count, int i)
    {
        var wrapped = first + count - Count; // stripes 0..wrapped-1 come before first..Count-1
        return wrapped > 0 ? (i < wrapped ? i : first + i - wrapped) : first + i;
    }

    /// <summary>Count of them from First on, wrapping (no allocation on the write path).</summary>
    private static (int First, int Count) StripesOf(long offset, long length)
    {
        var firstExtent = offset >> ActivityLog.ExtentShift;
        var lastExtent = (offset + Math.Max(length, 1) - 1) >> ActivityLog.ExtentShift;
        return ((int)(firstExtent % Count), (int)Math.Min(lastExtent - firstExtent + 1, Count));
    }
}
