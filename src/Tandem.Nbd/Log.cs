using Microsoft.Extensions.Logging;

namespace Tandem.Nbd;

/// <summary>The NBD subsystem's log messages; event ids 3000–3999, never renumbered.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 3000, EventName = "Tandem.Nbd.ServerStarted", Level = LogLevel.Information,
        Message = "NBD export {Export} serving on {Endpoints}")]
    public static partial void ServerStarted(ILogger logger, string export, string endpoints);

    [LoggerMessage(EventId = 3001, EventName = "Tandem.Nbd.ServerStopped", Level = LogLevel.Information,
        Message = "NBD export {Export} stopped")]
    public static partial void ServerStopped(ILogger logger, string export);

    [LoggerMessage(EventId = 3002, EventName = "Tandem.Nbd.ClientConnected", Level = LogLevel.Information,
        Message = "NBD client {Client} from {Remote} connected")]
    public static partial void ClientConnected(ILogger logger, long client, string remote);

    [LoggerMessage(EventId = 3003, EventName = "Tandem.Nbd.ClientDisconnected", Level = LogLevel.Information,
        Message = "NBD client {Client} disconnected: {Reason}")]
    public static partial void ClientDisconnected(ILogger logger, long client, string reason);

    [LoggerMessage(EventId = 3004, EventName = "Tandem.Nbd.ProtocolViolation", Level = LogLevel.Warning,
        Message = "NBD client {Client} broke the protocol: {What}; dropping it")]
    public static partial void ProtocolViolation(ILogger logger, long client, string what);

    [LoggerMessage(EventId = 3005, EventName = "Tandem.Nbd.RequestRejected", Level = LogLevel.Debug,
        Message = "NBD client {Client}: {Command} at {Offset}+{Length} flags {Flags} rejected with {Error}")]
    public static partial void RequestRejected(ILogger logger, long client, ushort command, ulong offset, uint length, ushort flags, uint error);

    [LoggerMessage(EventId = 3006, EventName = "Tandem.Nbd.VolumeError", Level = LogLevel.Warning,
        Message = "NBD client {Client}: {Command} at {Offset}+{Length} failed on the volume")]
    public static partial void VolumeError(ILogger logger, long client, ushort command, ulong offset, uint length, Exception exception);

    [LoggerMessage(EventId = 3007, EventName = "Tandem.Nbd.TooManyConnections", Level = LogLevel.Warning,
        Message = "NBD export {Export}: refusing a connection, {Count} already open")]
    public static partial void TooManyConnections(ILogger logger, string export, int count);

    [LoggerMessage(EventId = 3008, EventName = "Tandem.Nbd.AcceptFailed", Level = LogLevel.Error,
        Message = "NBD export {Export}: accept failed")]
    public static partial void AcceptFailed(ILogger logger, string export, Exception exception);

    [LoggerMessage(EventId = 3009, EventName = "Tandem.Nbd.ConnectionFailed", Level = LogLevel.Warning,
        Message = "NBD client {Client}: connection failed")]
    public static partial void ConnectionFailed(ILogger logger, long client, Exception exception);

    [LoggerMessage(EventId = 3010, EventName = "Tandem.Nbd.StaleSocketRemoved", Level = LogLevel.Information,
        Message = "Removed stale NBD socket {Path}")]
    public static partial void StaleSocketRemoved(ILogger logger, string path);

    [LoggerMessage(EventId = 3011, EventName = "Tandem.Nbd.TlsStarted", Level = LogLevel.Information,
        Message = "NBD client {Client} started TLS ({Protocol}, {ClientCertificate})")]
    public static partial void TlsStarted(ILogger logger, long client, string protocol, string clientCertificate);

    [LoggerMessage(EventId = 3020, EventName = "Tandem.Nbd.Attached", Level = LogLevel.Information,
        Message = "Attached {Socket} as {Device} via {Method}")]
    public static partial void Attached(ILogger logger, string socket, string device, string method);

    [LoggerMessage(EventId = 3021, EventName = "Tandem.Nbd.Detached", Level = LogLevel.Information,
        Message = "Detached {Device} ({Socket})")]
    public static partial void Detached(ILogger logger, string device, string socket);

    [LoggerMessage(EventId = 3022, EventName = "Tandem.Nbd.DetachStep", Level = LogLevel.Warning,
        Message = "Detach of {Socket}: {Step}")]
    public static partial void DetachStep(ILogger logger, string socket, string step);
}
