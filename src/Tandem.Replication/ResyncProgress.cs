namespace Tandem.Replication;

/// <summary>Progress of one resync: what was out of sync at the start, and the rate since.</summary>
internal sealed class ResyncProgress(long totalBytes, DateTimeOffset started, ReplicationState role)
{
    public long TotalBytes { get; } = totalBytes;
    public DateTimeOffset Started { get; } = started;
    public ReplicationState Role { get; } = role;

    public ResyncStatus ToStatus(long remainingBytes, DateTimeOffset now)
    {
        var done = Math.Max(0, TotalBytes - remainingBytes);
        var seconds = Math.Max((now - Started).TotalSeconds, 0.001);
        var rate = done / seconds;
        return new ResyncStatus(
            Role.ToString(),
            TotalBytes,
            remainingBytes,
            TotalBytes == 0 ? 100.0 : Math.Round(100.0 * done / TotalBytes, 1),
            (long)rate,
            rate > 0 ? (long)Math.Ceiling(remainingBytes / rate) : null);
    }
}
