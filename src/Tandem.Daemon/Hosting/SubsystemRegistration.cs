namespace Tandem.Daemon.Hosting;

/// <summary>One subsystem the daemon starts: its stage and the service that implements it.</summary>
/// <param name="Name">A name for logs and events.</param>
/// <param name="Stage">When it starts.</param>
/// <param name="ServiceType">The registered <see cref="Microsoft.Extensions.Hosting.IHostedService"/> type.</param>
/// <param name="Order">Registration order, which breaks ties within a stage.</param>
public sealed record SubsystemRegistration(string Name, DaemonStage Stage, Type ServiceType, int Order);
