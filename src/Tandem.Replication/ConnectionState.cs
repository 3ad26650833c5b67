namespace Tandem.Replication;

/// <summary>The connection to the peer (DRBD 9's per-connection state).</summary>
public enum ConnectionState
{
    /// <summary>Not trying to connect (administratively, or after a refused handshake or split brain).</summary>
    StandAlone,

    /// <summary>Trying to reach the peer (WFConnection).</summary>
    Connecting,

    /// <summary>Handshake done.</summary>
    Connected,
}
