using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tandem.Daemon.Events;
using Tandem.Daemon.Status;
using Tandem.Daemon.Subsystems;

namespace Tandem.Daemon.Control;

/// <summary>
/// The control API: <c>GET /v1/status</c>, <c>GET /v1/events?since=N[&amp;follow=true]</c>,
/// <c>POST /v1/shutdown</c>, <c>POST /v1/volumes/{name}/attach|detach</c> and the replication commands
/// <c>POST /v1/volumes/{name}/up|down|primary|secondary|connect|disconnect|verify|invalidate|new-current-uuid</c>,
/// HTTP/1.1 and JSON on the run directory's Unix socket.
/// </summary>
internal static partial class ControlEndpoints
{
    /// <summary>The media type of a followed event stream: one JSON document per line.</summary>
    public const string JsonLines = "application/x-ndjson";

    private static readonly byte[] s_newline = "\n"u8.ToArray();

    /// <summary>Maps the endpoints.</summary>
    /// <param name="app">The application.</param>
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/status", GetStatusAsync);
        app.MapGet("/v1/events", GetEventsAsync);
        app.MapPost("/v1/shutdown", PostShutdownAsync);
        app.MapPost("/v1/volumes/{name}/attach", PostAttachAsync);
        app.MapPost("/v1/volumes/{name}/detach", PostDetachAsync);
        MapReplication(app);
        FailoverEndpoints.Map(app);
        app.MapFallback(context => WriteErrorAsync(context, StatusCodes.Status404NotFound,
            $"no such endpoint: {context.Request.Method} {context.Request.Path} (the API has GET /v1/status, GET /v1/events, POST /v1/shutdown, POST /v1/volumes/NAME/attach, POST /v1/volumes/NAME/detach, POST /v1/volumes/NAME/up|down|primary|secondary|connect|disconnect|verify|invalidate|new-current-uuid, POST /v1/standby, POST /v1/takeover, POST /v1/failback, POST /v1/fence/confirm)"));
    }

    /// <summary>
    /// The connection filter: only peers the policy allows (by default root and the daemon's own
    /// user, checked with SO_PEERCRED) get past the accept; others are closed without a byte.
    /// </summary>
    /// <param name="next">The rest of the connection pipeline.</param>
    /// <param name="authorize">The policy.</param>
    /// <param name="logger">Where refusals are logged.</param>
    /// <returns>The filtering connection delegate.</returns>
    public static ConnectionDelegate AuthorizePeers(ConnectionDelegate next, Func<PeerCredentials, bool> authorize, ILogger logger) =>
        async connection =>
        {
            var socket = connection.Features.Get<IConnectionSocketFeature>()?.Socket;
            if (socket is null || !PeerCredentials.TryGet(socket, out var peer))
            {
                LogPeerUnknown(logger, connection.ConnectionId);
                return;
            }
            if (!authorize(peer))
            {
                LogPeerRejected(logger, peer.Pid, peer.Uid, peer.Gid);
                return;
            }
            await next(connection).ConfigureAwait(false);
        };

    private static Task GetStatusAsync(HttpContext context)
    {
        var status = context.RequestServices.GetRequiredService<StatusService>().GetStatus();
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(status.ToJson(), context.RequestAborted);
    }

    private static async Task GetEventsAsync(HttpContext context)
    {
        var query = context.Request.Query;
        long since = 0;
        if (query.TryGetValue("since", out var sinceText)
            && !long.TryParse(sinceText.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out since))
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest,
                $"since must be a non-negative integer (the last sequence number you have), not '{sinceText}'").ConfigureAwait(false);
            return;
        }
        var follow = false;
        if (query.TryGetValue("follow", out var followText) && !TryParseFlag(followText.ToString(), out follow))
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest,
                $"follow must be true or false, not '{followText}'").ConfigureAwait(false);
            return;
        }
        var log = context.RequestServices.GetRequiredService<EventLog>();
        if (!follow)
        {
            await WriteJsonAsync(context, StatusCodes.Status200OK, [.. log.ReadSince(since)], ControlJsonContext.Default.ListClusterEvent).ConfigureAwait(false);
            return;
        }

        var aborted = context.RequestAborted;
        using var subscription = log.Subscribe(since);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = JsonLines;
        context.Response.Headers.CacheControl = "no-store";
        // Headers go out now, so that a client knows it is following even before the next event.
        await context.Response.StartAsync(aborted).ConfigureAwait(false);
        var body = context.Response.Body;
        await body.FlushAsync(aborted).ConfigureAwait(false); // StartAsync alone leaves them buffered
        try
        {
            await foreach (var ev in subscription.ReadAllAsync(aborted).ConfigureAwait(false))
            {
                await body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(ev, ControlJsonContext.Default.ClusterEvent), aborted).ConfigureAwait(false);
                await body.WriteAsync(s_newline, aborted).ConfigureAwait(false);
                await body.FlushAsync(aborted).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The client went away: the normal end of a follow.
        }
        catch (EventSubscriberTooSlowException)
        {
            // The log already said so; ending the stream tells the client to reconnect with --since.
        }
    }

    private static async Task PostShutdownAsync(HttpContext context)
    {
        var node = context.RequestServices.GetRequiredService<NodeContext>();
        var lifetime = context.RequestServices.GetRequiredService<IHostApplicationLifetime>();
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ControlEndpoints).FullName!);
        LogShutdownRequested(logger);
        // Stop once the answer is out: a stop begun earlier would race the response.
        context.Response.OnCompleted(() =>
        {
            lifetime.StopApplication();
            return Task.CompletedTask;
        });
        await WriteJsonAsync(context, StatusCodes.Status202Accepted, new ShutdownDocument(node.NodeName, true), ControlJsonContext.Default.ShutdownDocument).ConfigureAwait(false);
    }

    private static async Task PostAttachAsync(HttpContext context)
    {
        var name = (string)context.Request.RouteValues["name"]!;
        var volumes = context.RequestServices.GetService<VolumeExportSubsystem>();
        if (volumes is null)
        {
            await WriteErrorAsync(context, StatusCodes.Status404NotFound, "this daemon serves no volumes (its cluster subsystems are off)").ConfigureAwait(false);
            return;
        }
        VolumeAttachRequest? request = null;
        try
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
            if (!string.IsNullOrWhiteSpace(body))
            {
                request = JsonSerializer.Deserialize(body, ControlJsonContext.Default.VolumeAttachRequest);
            }
        }
        catch (JsonException e)
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, $"the body must be {{\"link\": true|false}} or empty: {e.Message}").ConfigureAwait(false);
            return;
        }
        try
        {
            var device = await volumes.AttachAsync(name, request?.Link ?? true, context.RequestAborted).ConfigureAwait(false);
            await WriteJsonAsync(context, StatusCodes.Status200OK, new VolumeDocument(device.Name, true)
            {
                Device = device.DevicePath,
                Method = device.Method.ToString(),
                Link = device.Link,
                Socket = device.SocketPath,
            }, ControlJsonContext.Default.VolumeDocument).ConfigureAwait(false);
        }
        catch (VolumeOperationException e)
        {
            await WriteErrorAsync(context, StatusOf(e.Error), e.Message).ConfigureAwait(false);
        }
    }

    private static async Task PostDetachAsync(HttpContext context)
    {
        var name = (string)context.Request.RouteValues["name"]!;
        var volumes = context.RequestServices.GetService<VolumeExportSubsystem>();
        if (volumes is null)
        {
            await WriteErrorAsync(context, StatusCodes.Status404NotFound, "this daemon serves no volumes (its cluster subsystems are off)").ConfigureAwait(false);
            return;
        }
        try
        {
            var device = await volumes.DetachAsync(name, context.RequestAborted).ConfigureAwait(false);
            await WriteJsonAsync(context, StatusCodes.Status200OK, new VolumeDocument(name, false)
            {
                Device = device?.DevicePath,
                Method = device?.Method.ToString(),
                Link = device?.Link,
                Socket = device?.SocketPath,
            }, ControlJsonContext.Default.VolumeDocument).ConfigureAwait(false);
        }
        catch (VolumeOperationException e)
        {
            await WriteErrorAsync(context, StatusOf(e.Error), e.Message).ConfigureAwait(false);
        }
    }

    private static int StatusOf(VolumeOperationError error) => error switch
    {
        VolumeOperationError.BadRequest => StatusCodes.Status400BadRequest,
        VolumeOperationError.NotFound => StatusCodes.Status404NotFound,
        VolumeOperationError.Conflict => StatusCodes.Status409Conflict,
        _ => StatusCodes.Status500InternalServerError,
    };

    private static Task WriteErrorAsync(HttpContext context, int status, string message) =>
        WriteJsonAsync(context, status, new ErrorDocument(message), ControlJsonContext.Default.ErrorDocument);

    private static async Task WriteJsonAsync<T>(HttpContext context, int status, T value, JsonTypeInfo<T> typeInfo)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, value, typeInfo, context.RequestAborted).ConfigureAwait(false);
    }

    private static bool TryParseFlag(string text, out bool value)
    {
        switch (text.ToLowerInvariant())
        {
            case "true" or "1" or "yes" or "":
                value = true;
                return true;
            case "false" or "0" or "no":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }

    [LoggerMessage(EventId = 300, EventName = "Tandem.Daemon.PeerRejected", Level = LogLevel.Warning,
        Message = "Refused a control connection from pid {Pid} uid {Uid} gid {Gid}: only root and the daemon's user may use the control socket")]
    private static partial void LogPeerRejected(ILogger logger, int pid, uint uid, uint gid);

    [LoggerMessage(EventId = 301, EventName = "Tandem.Daemon.PeerUnknown", Level = LogLevel.Warning,
        Message = "Refused control connection {ConnectionId}: the kernel did not report its peer credentials")]
    private static partial void LogPeerUnknown(ILogger logger, string connectionId);

    [LoggerMessage(EventId = 302, EventName = "Tandem.Daemon.ShutdownRequested", Level = LogLevel.Information,
        Message = "Shutdown requested through the control API")]
    private static partial void LogShutdownRequested(ILogger logger);
}
