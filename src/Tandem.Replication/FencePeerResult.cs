namespace Tandem.Replication;

/// <summary>The outcome of fencing the peer; the numbers are the exit codes of DRBD's <c>fence-peer</c> handlers.</summary>
public enum FencePeerResult
{
    /// <summary>Fencing failed (a handler exit code other than 3–7, an exception, a timeout).</summary>
    Failed = 1,

    /// <summary>The peer's disk is Inconsistent: it cannot be promoted anyway.</summary>
    PeerInconsistent = 3,

    /// <summary>The peer was marked Outdated.</summary>
    PeerOutdated = 4,

    /// <summary>The peer could not be reached.</summary>
    PeerUnreachable = 5,

    /// <summary>The peer refused to be outdated: it is Primary.</summary>
    PeerRefused = 6,

    /// <summary>The peer was fenced (powered off, STONITH).</summary>
    PeerFenced = 7,
}
