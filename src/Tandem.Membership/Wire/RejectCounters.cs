using Microsoft.Extensions.Logging;

namespace Tandem.Membership.Wire;

/// <summary>
/// Counts rejected packets by reason and logs them with a rate limit: the first rejection of a
/// reason is logged at once, later ones at most once per <see cref="LogInterval"/> with the number
/// suppressed, so that a flood of junk costs a counter increment, not a log line.
/// </summary>
public sealed partial class RejectCounters
{
    /// <summary>The shortest time between two log lines for the same reason.</summary>
    public static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);

    private static readonly RejectReason[] s_reasons = Enum.GetValues<RejectReason>();

    private readonly long[] _counts = new long[s_reasons.Length];
    private readonly long[] _suppressed = new long[s_reasons.Length];
    private readonly long[] _lastLogged = new long[s_reasons.Length];
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    /// <summary>Creates counters.</summary>
    /// <param name="logger">Where rejections are logged.</param>
    /// <param name="time">The clock for the rate limit.</param>
    public RejectCounters(ILogger logger, TimeProvider time)
    {
        _logger = logger;
        _time = time;
        Array.Fill(_lastLogged, long.MinValue);
    }

    /// <summary>The number of rejections for a reason.</summary>
    /// <param name="reason">The reason.</param>
    /// <returns>The count since start.</returns>
    public long this[RejectReason reason] => Interlocked.Read(ref _counts[(int)reason]);

    /// <summary>The total of every reason except <see cref="RejectReason.FromSelf"/>.</summary>
    public long Total => s_reasons.Where(r => r is not (RejectReason.None or RejectReason.FromSelf)).Sum(r => this[r]);

    /// <summary>Counts one rejection and logs it unless the reason was logged recently.</summary>
    /// <param name="reason">Why it was rejected.</param>
    /// <param name="link">The link it arrived on.</param>
    /// <param name="from">The remote address or sender, as known.</param>
    public void Record(RejectReason reason, string link, string from)
    {
        var i = (int)reason;
        Interlocked.Increment(ref _counts[i]);
        if (reason == RejectReason.FromSelf)
        {
            return;
        }
        var now = _time.GetTimestamp();
        var last = Interlocked.Read(ref _lastLogged[i]);
        var interval = (long)(LogInterval.TotalSeconds * _time.TimestampFrequency);
        if (last != long.MinValue && now - last < interval)
        {
            Interlocked.Increment(ref _suppressed[i]);
            return;
        }
        if (Interlocked.CompareExchange(ref _lastLogged[i], now, last) != last)
        {
            Interlocked.Increment(ref _suppressed[i]);
            return;
        }
        LogRejected(_logger, reason, link, from, Interlocked.Exchange(ref _suppressed[i], 0));
    }

    /// <summary>The counts by reason name (lower case), without zeros.</summary>
    /// <returns>A snapshot.</returns>
    public IReadOnlyDictionary<string, long> Snapshot() =>
        s_reasons.Where(r => r != RejectReason.None && this[r] != 0)
            .ToDictionary(r => ToName(r), r => this[r]);

    /// <summary>The name of a reason as status shows it (<c>bad-mac</c>, <c>older-generation</c>, ...).</summary>
    /// <param name="reason">The reason.</param>
    /// <returns>The kebab-case name.</returns>
    public static string ToName(RejectReason reason) => reason switch
    {
        RejectReason.Truncated => "truncated",
        RejectReason.Oversized => "oversized",
        RejectReason.BadMagic => "bad-magic",
        RejectReason.UnknownVersion => "unknown-version",
        RejectReason.UnknownType => "unknown-type",
        RejectReason.OtherCluster => "other-cluster",
        RejectReason.UnknownKey => "unknown-key",
        RejectReason.UnknownNode => "unknown-node",
        RejectReason.BadMac => "bad-mac",
        RejectReason.OlderGeneration => "older-generation",
        RejectReason.Replayed => "replayed",
        RejectReason.Stale => "stale",
        RejectReason.FromSelf => "from-self",
        _ => "none",
    };

    [LoggerMessage(EventId = 1001, EventName = "Tandem.Membership.PacketRejected", Level = LogLevel.Warning,
        Message = "Rejected a packet on link {Link} from {From}: {Reason} ({Suppressed} more of this kind since the last report)")]
    private static partial void LogRejected(ILogger logger, RejectReason reason, string link, string from, long suppressed);
}
