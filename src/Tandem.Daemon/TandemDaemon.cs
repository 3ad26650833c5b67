using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Tandem.Core.Events;
using Tandem.Core.Model;
using Tandem.Daemon.Control;
using Tandem.Daemon.Events;
using Tandem.Daemon.Hosting;
using Tandem.Daemon.Status;

namespace Tandem.Daemon;

/// <summary>
/// One node's daemon: the composition root. <see cref="Create"/> takes an already loaded
/// <see cref="ClusterSpec"/> (loading and reporting configuration errors is the caller's job),
/// claims the run directory, and builds the host: the control API on <c>RUN_DIR/control.sock</c>,
/// the event log, the status sections, and the subsystems of <see cref="DaemonComposition"/>.
/// </summary>
public sealed class TandemDaemon : IAsyncDisposable
{
    // sockaddr_un.sun_path holds 108 bytes including the terminating NUL.
    private const int MaxSocketPathBytes = 107;

    private readonly WebApplication _app;
    private readonly PidFileLock _pidLock;
    private bool _disposed;

    private TandemDaemon(WebApplication app, PidFileLock pidLock, NodeContext node)
    {
        _app = app;
        _pidLock = pidLock;
        Node = node;
    }

    /// <summary>Who this daemon is.</summary>
    public NodeContext Node { get; }

    /// <summary>The daemon's services (for tests and embedding).</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>The event log.</summary>
    public EventLog Events => _app.Services.GetRequiredService<EventLog>();

    /// <summary>The control socket.</summary>
    public string ControlSocket => DaemonOptions.ControlSocketPath(Node.Options.RunDirectory);

    /// <summary>
    /// Prepares a daemon: checks that the node is a member, creates the directories, takes the
    /// run directory's lock, and builds the host (nothing listens until <see cref="StartAsync"/>).
    /// </summary>
    /// <param name="spec">The cluster, already loaded and valid.</param>
    /// <param name="options">Who this node is and where its files go.</param>
    /// <param name="configureServices">Extra registrations (tests add subsystems here), applied last.</param>
    /// <returns>The daemon, not yet started.</returns>
    /// <exception cref="DaemonAlreadyRunningException">Another daemon holds the run directory.</exception>
    /// <exception cref="DaemonStartException">The node is not a member, or a directory is unusable.</exception>
    public static TandemDaemon Create(ClusterSpec spec, DaemonOptions options, Action<IServiceCollection>? configureServices = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(options);
        var member = spec.FindNode(options.NodeName) ?? throw new DaemonStartException(
            $"this node, '{options.NodeName}', is not a member of the cluster (members: {string.Join(", ", spec.Nodes.Select(n => n.Name))}); "
            + "pass --node NAME with one of the members, or add this machine to the configuration");
        options = options with
        {
            StateDirectory = Path.GetFullPath(options.StateDirectory),
            RunDirectory = Path.GetFullPath(options.RunDirectory),
        };
        var socketPath = DaemonOptions.ControlSocketPath(options.RunDirectory);
        if (Encoding.UTF8.GetByteCount(socketPath) > MaxSocketPathBytes)
        {
            throw new DaemonStartException(
                $"the control socket path {socketPath} is longer than the {MaxSocketPathBytes} bytes a Unix socket address can hold; choose a shorter --run-dir");
        }
        CreatePrivateDirectory(options.StateDirectory, "state");
        CreatePrivateDirectory(options.RunDirectory, "run");

        var pidLock = PidFileLock.Acquire(DaemonOptions.PidFilePath(options.RunDirectory));
        try
        {
            // We hold the lock: a socket file here is a leftover of a daemon that was killed.
            DeleteIfExists(socketPath);
            var node = new NodeContext(spec, member, options, options.TimeProvider.GetUtcNow());
            var app = Build(node, socketPath, configureServices);
            return new TandemDaemon(app, pidLock, node);
        }
        catch
        {
            pidLock.Dispose();
            throw;
        }
    }

    /// <summary>Starts the control API, then the subsystems in stage order.</summary>
    /// <param name="cancellationToken">Aborts the start.</param>
    /// <returns>A task that completes when the node is up.</returns>
    public Task StartAsync(CancellationToken cancellationToken = default) => _app.StartAsync(cancellationToken);

    /// <summary>Stops the node: subsystems in reverse stage order, then the control API.</summary>
    /// <param name="cancellationToken">Cuts the graceful stop short.</param>
    /// <returns>A task that completes when the node is down.</returns>
    public Task StopAsync(CancellationToken cancellationToken = default) => _app.StopAsync(cancellationToken);

    /// <summary>Completes when the host has stopped (a signal, <c>POST /v1/shutdown</c>, or <see cref="StopAsync"/>).</summary>
    /// <param name="cancellationToken">Triggers a stop.</param>
    /// <returns>A task that completes when the node is down.</returns>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    /// <summary>Starts the node and runs it until it is told to stop (SIGTERM, SIGINT, or the API).</summary>
    /// <param name="cancellationToken">Triggers a stop.</param>
    /// <returns>A task that completes when the node is down.</returns>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        await StartAsync(cancellationToken).ConfigureAwait(false);
        await WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Releases the host, removes the control socket, and gives up the run directory.</summary>
    /// <returns>A task that completes when everything is released.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        try
        {
            await _app.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            DeleteIfExists(ControlSocket);
            _pidLock.Dispose();
        }
    }

    private static WebApplication Build(NodeContext node, string socketPath, Action<IServiceCollection>? configureServices)
    {
        var options = node.Options;
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = "tandem",
            ContentRootPath = options.StateDirectory,
            EnvironmentName = Environments.Production,
        });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            var authorize = options.AuthorizePeer ?? PeerCredentials.IsRootOrSelf;
            var logger = kestrel.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("Tandem.Daemon.Control");
            kestrel.ListenUnixSocket(socketPath, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                listen.Use(next => ControlEndpoints.AuthorizePeers(next, authorize, logger));
            });
        });
        builder.Services.AddRoutingCore();

        if (options.ConfigureLogging is { } configureLogging)
        {
            configureLogging(builder.Logging);
        }
        else
        {
            builder.Logging.SetMinimumLevel(options.MinimumLogLevel);
            builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                o.UseUtcTimestamp = true;
            });
            builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        }

        var services = builder.Services;
        services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownTimeout);
        services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        // Under systemd: journald-friendly log lines, and readiness/stopping notifications.
        services.AddSystemd();
        services.AddSingleton(options.TimeProvider);
        services.AddSingleton(node);
        services.AddSingleton(new SdNotify(options.NotifySocket ?? Environment.GetEnvironmentVariable("NOTIFY_SOCKET")));
        services.AddSingleton(sp => new EventLog(
            node.NodeName,
            options.EventRingCapacity,
            DaemonOptions.EventLogPath(options.StateDirectory),
            options.TimeProvider,
            sp.GetRequiredService<ILogger<EventLog>>()));
        services.AddSingleton<IEventSink>(sp => sp.GetRequiredService<EventLog>());
        services.AddSingleton<StatusService>();
        services.AddSingleton<SubsystemHost>();
        services.AddHostedService(sp => sp.GetRequiredService<SubsystemHost>());

        if (node.Options.RunClusterSubsystems)
        {
            DaemonComposition.AddSubsystems(services);
        }
        configureServices?.Invoke(services);

        var app = builder.Build();
        ControlEndpoints.Map(app);
        return app;
    }

    private static void CreatePrivateDirectory(string path, string what)
    {
        try
        {
            if (!Directory.Exists(path))
            {
                Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DaemonStartException($"cannot create the {what} directory {path}: {e.Message}", e);
        }
    }

    private static void DeleteIfExists(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DirectoryNotFoundException)
        {
            // Best effort: a leftover socket is replaced at the next start anyway.
        }
    }
}
