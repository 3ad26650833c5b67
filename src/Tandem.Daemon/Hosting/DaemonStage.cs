namespace Tandem.Daemon.Hosting;

/// <summary>
/// The order in which subsystems start; they stop in reverse. A subsystem may rely on every
/// subsystem of an earlier stage being started. Values leave room for stages in between.
/// </summary>
public enum DaemonStage
{
    /// <summary>Links and peer transports: sockets that later stages send through.</summary>
    Transport = 100,

    /// <summary>Heartbeats, failure detection, the view of who is alive.</summary>
    Membership = 200,

    /// <summary>Fence devices, ready before anything may be taken over.</summary>
    Fencing = 300,

    /// <summary>Replicated volumes: backing stores, metadata, peer connections.</summary>
    Replication = 400,

    /// <summary>Export of volumes (NBD) and their block devices.</summary>
    Export = 500,

    /// <summary>The resource manager: groups, agents, takeover and failback.</summary>
    Resources = 600,
}
