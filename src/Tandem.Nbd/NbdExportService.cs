using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tandem.Core.Events;
using Tandem.Core.Status;
using Tandem.Nbd.Attach;

namespace Tandem.Nbd;

/// <summary>
/// Hosts one <see cref="NbdServer"/> per export, reports them as the <c>volumes</c> status section,
/// and publishes <c>nbd.*</c> events (export started/stopped, client connected/disconnected).
/// </summary>
public sealed class NbdExportService : IStatusSection, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, (NbdExportDefinition Definition, NbdServer Server)> _exports = new(StringComparer.Ordinal);
    private readonly IEventSink? _events;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly VolumeAttacher? _attacher;

    /// <summary>Creates the service.</summary>
    /// <param name="events">Where events go, or null.</param>
    /// <param name="logger">The logger, or null.</param>
    /// <param name="timeProvider">The clock, or null for the system clock.</param>
    /// <param name="attacher">Consulted for the attached device of each export in status, or null.</param>
    public NbdExportService(IEventSink? events = null, ILogger? logger = null, TimeProvider? timeProvider = null, VolumeAttacher? attacher = null)
    {
        _events = events;
        _logger = logger ?? NullLogger.Instance;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _attacher = attacher;
    }

    /// <inheritdoc />
    public string Name => "volumes";

    /// <summary>The names of the exports being served.</summary>
    public IReadOnlyCollection<string> ExportNames => [.. _exports.Keys.Order(StringComparer.Ordinal)];

    /// <summary>The server of an export, or null.</summary>
    /// <param name="name">The export name.</param>
    /// <returns>The running server.</returns>
    public NbdServer? FindServer(string name) => _exports.TryGetValue(name, out var e) ? e.Server : null;

    /// <summary>Starts every export given.</summary>
    /// <param name="exports">The exports.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>Completes when all listen.</returns>
    public async Task StartAsync(IEnumerable<NbdExportDefinition> exports, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(exports);
        foreach (var export in exports)
        {
            await StartExportAsync(export, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Starts serving one export.</summary>
    /// <param name="definition">The export.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running server.</returns>
    public async Task<NbdServer> StartExportAsync(NbdExportDefinition definition, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var options = definition.Options with { SocketPath = definition.SocketPath, TcpEndPoint = definition.TcpEndPoint };
        var server = new NbdServer([new NbdExport(definition.Name, definition.Volume, definition.Description)], options, _logger, _timeProvider);
        if (!_exports.TryAdd(definition.Name, (definition, server)))
        {
            throw new InvalidOperationException($"export {definition.Name} is already served");
        }
        server.ClientConnected += client => Publish("nbd.client.connected", definition.Name, "a client connected",
            new Dictionary<string, string>
            {
                ["client"] = client.Id.ToString(CultureInfo.InvariantCulture),
                ["remote"] = client.Remote,
            });
        server.ClientDisconnected += (client, reason) => Publish("nbd.client.disconnected", definition.Name, reason,
            new Dictionary<string, string>
            {
                ["client"] = client.Id.ToString(CultureInfo.InvariantCulture),
                ["remote"] = client.Remote,
            });
        try
        {
            await server.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _exports.TryRemove(definition.Name, out _);
            throw;
        }
        var data = new Dictionary<string, string>
        {
            ["socket"] = definition.SocketPath,
            ["size"] = definition.Volume.Size.ToString(CultureInfo.InvariantCulture),
        };
        if (server.TcpEndPoint is { } tcp)
        {
            data["tcp"] = tcp.ToString();
        }
        Publish("nbd.export.started", definition.Name, "serving the volume over NBD", data);
        return server;
    }

    /// <summary>Stops serving one export (in-flight requests are answered within the shutdown grace).</summary>
    /// <param name="name">The export name.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>True when it was served.</returns>
    public async Task<bool> StopExportAsync(string name, CancellationToken cancellationToken)
    {
        if (!_exports.TryRemove(name, out var entry))
        {
            return false;
        }
        await entry.Server.StopAsync(cancellationToken).ConfigureAwait(false);
        await entry.Server.DisposeAsync().ConfigureAwait(false);
        Publish("nbd.export.stopped", name, "no longer serving the volume", null);
        return true;
    }

    /// <summary>Stops every export.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>Completes when all are stopped.</returns>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var name in _exports.Keys.ToList())
        {
            await StopExportAsync(name, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    object IStatusSection.GetSnapshot() => GetSnapshot();

    /// <summary>Every export, by name: where it listens, its attached device, its clients.</summary>
    /// <returns>The exports.</returns>
    public IReadOnlyDictionary<string, NbdExportStatus> GetSnapshot()
    {
        var exports = new Dictionary<string, NbdExportStatus>(StringComparer.Ordinal);
        foreach (var (name, (definition, server)) in _exports.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            var clients = server.Clients.ToArray();
            var attached = _attacher?.FindBySocket(definition.SocketPath);
            exports[name] = new NbdExportStatus(definition.Volume.Size, definition.SocketPath, server.TcpEndPoint?.ToString(), definition.Device,
                attached?.DevicePath, attached?.Method.ToString(), clients.Length,
                new NbdConnectionsStatus(
                    NbdListenerStatus.From(server.UnixCounters, server.ConnectionCount(tcp: false)),
                    NbdListenerStatus.From(server.TcpCounters, server.ConnectionCount(tcp: true))),
                clients);
        }
        return exports;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    private void Publish(string kind, string subject, string reason, IReadOnlyDictionary<string, string>? data)
    {
        try
        {
            _events?.Publish(kind, subject, reason, data);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A failing event sink must not take an export down.
            Log.ConnectionFailed(_logger, 0, ex);
        }
    }
}
