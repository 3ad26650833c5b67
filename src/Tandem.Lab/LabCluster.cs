using Tandem.Lab.Processes;

namespace Tandem.Lab;

/// <summary>
/// N real daemon processes of one cluster on this machine, each a <see cref="LabNode"/> in its
/// placement, with what the lab made for them (network namespaces, links) owned here. Disposing
/// the cluster stops every daemon at once (SIGTERM; SIGKILL by pid at the deadline), then removes
/// what it owns, last made first; it does not remove the work directory (the caller may keep it).
/// </summary>
public sealed class LabCluster : IAsyncDisposable
{
    private readonly List<LabNode> _nodes = [];
    private readonly List<IDisposable> _owned = [];
    private int _disposed;

    /// <summary>Creates an empty cluster.</summary>
    /// <param name="work">The cluster's directory (each node's home is below it unless said otherwise).</param>
    /// <param name="tandem">How to run the tandem program.</param>
    public LabCluster(string work, TandemCommand tandem)
    {
        ArgumentException.ThrowIfNullOrEmpty(work);
        ArgumentNullException.ThrowIfNull(tandem);
        Work = work;
        Tandem = tandem;
    }

    /// <summary>The cluster's directory.</summary>
    public string Work { get; }

    /// <summary>How the tandem program is run.</summary>
    public TandemCommand Tandem { get; }

    /// <summary>The nodes, in the order they were added.</summary>
    public IReadOnlyList<LabNode> Nodes => _nodes;

    /// <summary>The node named <paramref name="name"/>.</summary>
    /// <param name="name">The node's name.</param>
    /// <returns>The node.</returns>
    /// <exception cref="KeyNotFoundException">No such node.</exception>
    public LabNode this[string name] =>
        _nodes.Find(n => n.Name == name) ?? throw new KeyNotFoundException($"the lab has no node {name} (it has {string.Join(", ", _nodes.Select(n => n.Name))})");

    /// <summary>Adds a node (nothing starts yet).</summary>
    /// <param name="options">The node.</param>
    /// <returns>The node.</returns>
    public LabNode Add(LabNodeOptions options)
    {
        var node = new LabNode(Tandem, options);
        _nodes.Add(node);
        return node;
    }

    /// <summary>Hands something the lab made (a namespace, a link) to the cluster, which removes it after the daemons stopped.</summary>
    /// <typeparam name="T">Its type.</typeparam>
    /// <param name="resource">The thing.</param>
    /// <returns><paramref name="resource"/>.</returns>
    public T Own<T>(T resource)
        where T : IDisposable
    {
        _owned.Add(resource);
        return resource;
    }

    /// <summary>Starts every node at once and waits until all are ready.</summary>
    /// <param name="timeout">The deadline for readiness.</param>
    /// <param name="cancellationToken">Aborts the wait.</param>
    /// <returns>A task that completes when they are ready.</returns>
    public Task StartAsync(TimeSpan timeout, CancellationToken cancellationToken) => StartAsync(_nodes.Select(n => n.Name), timeout, cancellationToken);

    /// <summary>Starts the named nodes at once and waits until all are ready.</summary>
    /// <param name="names">The nodes to start.</param>
    /// <param name="timeout">The deadline for readiness.</param>
    /// <param name="cancellationToken">Aborts the wait.</param>
    /// <returns>A task that completes when they are ready.</returns>
    public async Task StartAsync(IEnumerable<string> names, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var nodes = names.Select(n => this[n]).ToList();
        foreach (var node in nodes)
        {
            node.Start();
        }
        await Task.WhenAll(nodes.Select(n => n.WaitReadyAsync(timeout, cancellationToken))).ConfigureAwait(false);
    }

    /// <summary>
    /// SIGTERM to every running daemon at once (a node stopping alone hands its groups to the others,
    /// which would start them only to stop them again), then waits for each.
    /// </summary>
    /// <param name="timeout">How long each may take to stop.</param>
    /// <param name="cancellationToken">Aborts the wait.</param>
    /// <returns>Each stopped node's exit code.</returns>
    /// <exception cref="LabTimeoutException">One did not stop in time; it was killed.</exception>
    public async Task<IReadOnlyDictionary<string, int>> StopAllAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var running = _nodes.Where(n => n.IsRunning).ToList();
        foreach (var node in running)
        {
            Signals.Send(node.Pid, Signals.SIGTERM);
        }
        var codes = await Task.WhenAll(running.Select(n => n.WaitStoppedAsync(timeout, cancellationToken))).ConfigureAwait(false);
        return running.Select((n, i) => (n.Name, codes[i])).ToDictionary(p => p.Name, p => p.Item2, StringComparer.Ordinal);
    }

    /// <summary>Runs <c>tandem ARGS</c> once, to completion, in <paramref name="on"/>'s placement when given.</summary>
    /// <param name="arguments">tandem's arguments.</param>
    /// <param name="timeout">How long it may run.</param>
    /// <param name="cancellationToken">Aborts it.</param>
    /// <param name="on">The node whose placement it runs in, or null for this machine.</param>
    /// <returns>The exited process (the caller disposes it).</returns>
    public Task<LabProcess> TandemAsync(IEnumerable<string> arguments, TimeSpan timeout, CancellationToken cancellationToken, LabNode? on = null)
    {
        var commandLine = Tandem.CommandLine(arguments);
        return LabProcess.RunAsync(on is null ? commandLine : on.Placement.Wrap(commandLine), timeout, cancellationToken);
    }

    /// <summary>Stops every daemon (SIGTERM to all at once, SIGKILL by pid after each node's <see cref="LabNodeOptions.DisposeGrace"/>), then removes what the cluster owns.</summary>
    /// <returns>A task that completes when nothing of the cluster runs.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        foreach (var node in _nodes.Where(n => n.IsRunning && n.DisposeGrace > TimeSpan.Zero))
        {
            Signals.Send(node.Pid, Signals.SIGTERM);
        }
        await Task.WhenAll(_nodes.Select(n => n.DisposeAsync().AsTask())).ConfigureAwait(false);
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }
    }
}
