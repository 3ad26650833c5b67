namespace Tandem.Membership.Wire;

/// <summary>
/// Replay protection for one sender on one link: the newest generation seen and a sliding window
/// of the last <see cref="WindowSize"/> sequence numbers (as IPsec's anti-replay window). A packet
/// of an older generation, a sequence already seen, or one below the window is rejected. Checked
/// only after the MAC, so forged packets cannot move the window.
/// </summary>
public sealed class ReplayWindow
{
    /// <summary>How far behind the newest sequence a packet may arrive and still be accepted once.</summary>
    public const int WindowSize = 64;

    private ulong _generation;
    private ulong _highest;
    private ulong _seen; // bit i set = sequence (_highest - i) accepted

    /// <summary>Creates an empty window: the first authenticated packet is accepted.</summary>
    public ReplayWindow()
    {
    }

    /// <summary>
    /// Creates a window that starts where an earlier run of this daemon left off (see
    /// <see cref="ReplayFloor"/>): a packet of an older generation, or of the same generation at or
    /// below <paramref name="sequence"/>, is rejected.
    /// </summary>
    /// <param name="generation">The newest generation accepted before.</param>
    /// <param name="sequence">The highest sequence accepted in it.</param>
    public ReplayWindow(ulong generation, ulong sequence)
    {
        _generation = generation;
        _highest = sequence;
        _seen = ulong.MaxValue; // everything up to the floor counts as seen
    }

    /// <summary>The newest generation accepted, 0 before the first packet.</summary>
    public ulong Generation => _generation;

    /// <summary>The highest sequence accepted in <see cref="Generation"/>.</summary>
    public ulong Highest => _highest;

    /// <summary>Checks a packet and, when accepted, records it.</summary>
    /// <param name="generation">The packet's generation.</param>
    /// <param name="sequence">The packet's sequence number (from 1).</param>
    /// <returns><see cref="RejectReason.None"/> when accepted.</returns>
    public RejectReason Check(ulong generation, ulong sequence)
    {
        if (sequence == 0)
        {
            return RejectReason.Stale;
        }
        if (generation < _generation)
        {
            return RejectReason.OlderGeneration;
        }
        if (generation > _generation)
        {
            _generation = generation;
            _highest = sequence;
            _seen = 1;
            return RejectReason.None;
        }
        if (sequence > _highest)
        {
            var shift = sequence - _highest;
            _seen = shift >= WindowSize ? 1 : (_seen << (int)shift) | 1;
            _highest = sequence;
            return RejectReason.None;
        }
        var age = _highest - sequence;
        if (age >= WindowSize)
        {
            return RejectReason.Stale;
        }
        var bit = 1UL << (int)age;
        if ((_seen & bit) != 0)
        {
            return RejectReason.Replayed;
        }
        _seen |= bit;
        return RejectReason.None;
    }
}
