namespace Tandem.Replication;

/// <summary>What a local I/O error does (DRBD's <c>on-io-error</c>, drbd.md §6).</summary>
public enum OnIoErrorPolicy
{
    /// <summary>Drop the local disk (Failed, then Diskless) and serve I/O from the peer (the default).</summary>
    Detach,

    /// <summary>Report the error to the caller (EIO) and keep the disk attached.</summary>
    PassOn,

    /// <summary>Run the <c>local-io-error</c> handler, then detach.</summary>
    CallLocalIoError,
}
