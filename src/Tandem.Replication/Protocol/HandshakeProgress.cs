namespace Tandem.Replication.Protocol;

/// <summary>
/// How far one connection's handshake got, which decides what its failure may do (issue #18
/// item 5): a connection that never proved to be the peer is dropped and counted and can change
/// nothing; only a refusal after the peer proved itself stops the retries.
/// </summary>
internal sealed class HandshakeProgress
{
    /// <summary>
    /// The peer proved it holds the shared secret (challenge-response) or a trusted TLS
    /// certificate. Without either configured, no connection is ever authenticated.
    /// </summary>
    public bool Authenticated { get; set; }

    /// <summary>The whole handshake completed (features, authentication, parameters).</summary>
    public bool Completed { get; set; }

    /// <summary>This connection holds the volume's commit lock (it is the one taking the snapshot).</summary>
    public bool HoldsCommit { get; set; }

    /// <summary>Whether a refusal on this connection is the peer's word: it was authenticated, or completed the handshake.</summary>
    public bool Trusted => Authenticated || Completed;
}
