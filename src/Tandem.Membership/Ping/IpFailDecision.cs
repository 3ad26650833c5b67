namespace Tandem.Membership.Ping;

/// <summary>What the ipfail rule says this node should do.</summary>
public enum IpFailDecision
{
    /// <summary>Nothing to compare (no ping nodes, or the peer's score is unknown).</summary>
    Unknown,
    /// <summary>This node reaches at least as many ping nodes as its peer: keep resources.</summary>
    Keep,
    /// <summary>This node reaches fewer ping nodes than its peer: give resources up.</summary>
    GiveUp,
}
