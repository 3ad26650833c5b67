namespace Tandem.Membership;

/// <summary>Ping nodes (ha.cf ping) and what ipfail concludes from them.</summary>
/// <param name="Score">Ping nodes reachable from here.</param>
/// <param name="Total">Ping nodes configured.</param>
/// <param name="Pings">Each ping node.</param>
/// <param name="Peers">Each peer's score, as it reported it.</param>
/// <param name="Ipfail">give-up, keep or unknown.</param>
public sealed record ConnectivitySnapshot(
    int Score,
    int Total,
    IReadOnlyList<PingSnapshot> Pings,
    IReadOnlyDictionary<string, int> Peers,
    string Ipfail);
