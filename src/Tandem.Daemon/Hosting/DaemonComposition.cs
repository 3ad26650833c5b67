using Microsoft.Extensions.DependencyInjection;
using Tandem.Daemon.Failover;
using Tandem.Daemon.Subsystems;
using Tandem.Resources.Agents;

namespace Tandem.Daemon.Hosting;

/// <summary>
/// The list of subsystems a node runs. Adding one is one line here:
/// <code>services.AddSubsystem&lt;MembershipService&gt;(DaemonStage.Membership);</code>
/// The service is an ordinary <see cref="Microsoft.Extensions.Hosting.IHostedService"/> (a
/// <see cref="Microsoft.Extensions.Hosting.BackgroundService"/> is fine); it injects
/// <see cref="NodeContext"/> (the spec and which node this is), <see cref="Core.Events.IEventSink"/>
/// (to publish its state changes) and <see cref="TimeProvider"/>; when it also implements
/// <see cref="Core.Status.IStatusSection"/> it appears in <c>tandem status</c> under its name.
/// </summary>
public static class DaemonComposition
{
    /// <summary>Registers every subsystem of a node, in stage order.</summary>
    /// <param name="services">The daemon's services.</param>
    public static void AddSubsystems(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        // Stage order: Transport -> Membership -> Fencing -> Replication -> Export -> Resources.
        services.AddSubsystem<MembershipSubsystem>(DaemonStage.Membership, "membership");
        services.AddStatusSection<LinkStatusSection>();
        services.AddStatusSection<MembershipCountersSection>();
        services.AddSubsystem<VolumeExportSubsystem>(DaemonStage.Export, "volumes");
        services.AddSingleton<IVolumeControl>(sp => new VolumeControl(sp.GetRequiredService<VolumeExportSubsystem>()));
        services.AddSubsystem<FencingSubsystem>(DaemonStage.Fencing, "fencing");
        services.AddSubsystem<ResourceSubsystem>(DaemonStage.Resources, "resources");
        services.AddStatusSection<FailoverStatusSection>();
    }
}
