using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Tandem.Core.Status;

namespace Tandem.Daemon.Hosting;

/// <summary>How a subsystem joins the daemon: one call, <c>services.AddSubsystem&lt;T&gt;(stage)</c>.</summary>
public static class SubsystemServiceCollectionExtensions
{
    /// <summary>
    /// Registers a subsystem: <typeparamref name="T"/> (an ordinary <see cref="IHostedService"/>, for
    /// example a <see cref="BackgroundService"/>) is created once, started in <paramref name="stage"/>
    /// order and stopped in reverse. When it implements <see cref="IStatusSection"/> it also appears in
    /// <c>tandem status</c>. It publishes events by injecting <see cref="Core.Events.IEventSink"/>.
    /// </summary>
    /// <typeparam name="T">The subsystem's hosted service.</typeparam>
    /// <param name="services">The daemon's services.</param>
    /// <param name="stage">When it starts.</param>
    /// <param name="name">A name for logs and events; the type name when null.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddSubsystem<T>(this IServiceCollection services, DaemonStage stage, string? name = null)
        where T : class, IHostedService
    {
        ArgumentNullException.ThrowIfNull(services);
        // Not registered as IHostedService: the daemon's SubsystemHost starts it, in stage order,
        // once the control socket is up (so that a slow start can be watched with tandem status).
        services.AddSingleton<T>();
        var order = services.Count(d => d.ServiceType == typeof(SubsystemRegistration));
        services.AddSingleton(new SubsystemRegistration(name ?? typeof(T).Name, stage, typeof(T), order));
        if (typeof(IStatusSection).IsAssignableFrom(typeof(T)))
        {
            services.AddSingleton(sp => (IStatusSection)sp.GetRequiredService<T>());
        }
        return services;
    }

    /// <summary>Registers a status section that is not itself a subsystem.</summary>
    /// <typeparam name="T">The section.</typeparam>
    /// <param name="services">The daemon's services.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddStatusSection<T>(this IServiceCollection services)
        where T : class, IStatusSection
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton<IStatusSection, T>();
        return services;
    }
}
