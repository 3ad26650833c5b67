namespace Tandem.Replication;

/// <summary>Progress of a running resync.</summary>
/// <param name="Role">SyncSource or SyncTarget.</param>
/// <param name="TotalBytes">Out of sync when it started.</param>
/// <param name="RemainingBytes">Still out of sync.</param>
/// <param name="Percent">Done, 0 to 100, one decimal.</param>
/// <param name="BytesPerSecond">The rate since it started.</param>
/// <param name="EtaSeconds">Seconds to finish at that rate; null before anything moved.</param>
public sealed record ResyncStatus(
    string Role,
    long TotalBytes,
    long RemainingBytes,
    double Percent,
    long BytesPerSecond,
    long? EtaSeconds);
