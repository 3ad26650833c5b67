using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tandem.Core.Model;
using Tandem.Daemon.Control;
using Xunit;

namespace Tandem.Daemon.Tests;

/// <summary>A two-node cluster built in code, and temporary directories for one daemon.</summary>
internal sealed class TestCluster : IAsyncDisposable
{
    private readonly List<TandemDaemon> _daemons = [];

    public TestCluster()
    {
        // Short: a Unix socket path must fit in 107 bytes.
        Root = Path.Combine("/tmp", "tdt-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string StateDirectory => Path.Combine(Root, "state");

    public string RunDirectory => Path.Combine(Root, "run");

    public static ClusterSpec Spec { get; } = new()
    {
        Name = "test-cluster",
        Nodes = [new NodeSpec("alpha"), new NodeSpec("beta")],
        Sources = ["/etc/ha.d/ha.cf", "/etc/ha.d/authkeys", "/etc/ha.d/haresources"],
    };

    public DaemonOptions Options(string node = "alpha") => new()
    {
        NodeName = node,
        StateDirectory = StateDirectory,
        RunDirectory = RunDirectory,
        ShutdownTimeout = TimeSpan.FromSeconds(5),
        NotifySocket = "",
        ConfigureLogging = b => b.ClearProviders(),
        RunClusterSubsystems = false,
    };

    public TandemDaemon Create(DaemonOptions? options = null, Action<IServiceCollection>? configure = null)
    {
        var daemon = TandemDaemon.Create(Spec, options ?? Options(), configure);
        _daemons.Add(daemon);
        return daemon;
    }

    public async Task<TandemDaemon> StartAsync(DaemonOptions? options = null, Action<IServiceCollection>? configure = null)
    {
        var daemon = Create(options, configure);
        await daemon.StartAsync(TestContext.Current.CancellationToken);
        return daemon;
    }

    public ControlClient Client() => new(RunDirectory);

    public async ValueTask DisposeAsync()
    {
        foreach (var daemon in _daemons)
        {
            await daemon.DisposeAsync();
        }
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
