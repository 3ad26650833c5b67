using Microsoft.Extensions.Logging;

namespace Tandem.Replication;

/// <summary>Replication log messages (event ids 2000–2999, never renumbered).</summary>
internal static partial class Log
{
    [LoggerMessage(2000, LogLevel.Information, "{Resource}: role {Old} -> {New} ({Reason})", EventName = "Tandem.Replication.Role")]
    public static partial void RoleChanged(ILogger logger, string resource, Role old, Role @new, string reason);

    [LoggerMessage(2001, LogLevel.Warning, "{Resource}: promoted with --force from disk state {Disk}", EventName = "Tandem.Replication.ForcedPromotion")]
    public static partial void ForcedPromotion(ILogger logger, string resource, DiskState disk);

    [LoggerMessage(2002, LogLevel.Information, "{Resource}: disk {Old} -> {New} ({Reason})", EventName = "Tandem.Replication.Disk")]
    public static partial void DiskChanged(ILogger logger, string resource, DiskState old, DiskState @new, string reason);

    [LoggerMessage(2003, LogLevel.Information, "{Resource}: connection {Old} -> {New} ({Reason})", EventName = "Tandem.Replication.Connection")]
    public static partial void ConnectionChanged(ILogger logger, string resource, ConnectionState old, ConnectionState @new, string reason);

    [LoggerMessage(2004, LogLevel.Information, "{Resource}: {Decision}", EventName = "Tandem.Replication.UuidCompare")]
    public static partial void UuidDecision(ILogger logger, string resource, string decision);

    [LoggerMessage(2005, LogLevel.Error, "{Resource}: split brain: {Reason}", EventName = "Tandem.Replication.SplitBrain")]
    public static partial void SplitBrain(ILogger logger, string resource, string reason);

    [LoggerMessage(2006, LogLevel.Warning, "{Resource}: connection failed: {Reason}", EventName = "Tandem.Replication.ConnectFailed")]
    public static partial void ConnectFailed(ILogger logger, string resource, string reason);

    [LoggerMessage(2007, LogLevel.Information, "{Resource}: resync started as {Role}, {Bytes} bytes out of sync", EventName = "Tandem.Replication.SyncStarted")]
    public static partial void SyncStarted(ILogger logger, string resource, ReplicationState role, long bytes);

    [LoggerMessage(2008, LogLevel.Information, "{Resource}: resync finished", EventName = "Tandem.Replication.SyncFinished")]
    public static partial void SyncFinished(ILogger logger, string resource);

    [LoggerMessage(2009, LogLevel.Error, "{Resource}: local I/O error: {Reason}", EventName = "Tandem.Replication.IoError")]
    public static partial void IoError(ILogger logger, string resource, string reason);

    [LoggerMessage(2010, LogLevel.Warning, "{Resource}: connection lost: {Reason}", EventName = "Tandem.Replication.ConnectionLost")]
    public static partial void ConnectionLost(ILogger logger, string resource, string reason);

    [LoggerMessage(2011, LogLevel.Error, "{Resource}: local disk detached after an I/O error; I/O is served by the peer while it is reachable", EventName = "Tandem.Replication.Detached")]
    public static partial void Detached(ILogger logger, string resource);

    [LoggerMessage(2012, LogLevel.Information, "{Resource}: handler {Handler} exited with {ExitCode}", EventName = "Tandem.Replication.Handler")]
    public static partial void HandlerRan(ILogger logger, string resource, string handler, string exitCode);

    [LoggerMessage(2013, LogLevel.Warning, "{Resource}: fencing the peer ({Policy}): {Reason}", EventName = "Tandem.Replication.FencingStarted")]
    public static partial void FencingStarted(ILogger logger, string resource, FencingPolicy policy, string reason);

    [LoggerMessage(2014, LogLevel.Warning, "{Resource}: fencing the peer returned {Result}", EventName = "Tandem.Replication.FencingResult")]
    public static partial void FencingResult(ILogger logger, string resource, FencePeerResult result);

    [LoggerMessage(2015, LogLevel.Warning, "{Resource}: I/O {State} ({Reason})", EventName = "Tandem.Replication.IoSuspended")]
    public static partial void IoSuspended(ILogger logger, string resource, string state, string reason);

    [LoggerMessage(2016, LogLevel.Warning, "{Resource}: disk marked Outdated ({Reason})", EventName = "Tandem.Replication.Outdated")]
    public static partial void Outdated(ILogger logger, string resource, string reason);

    [LoggerMessage(2017, LogLevel.Information, "{Resource}: size {Old} -> {New} bytes ({Reason})", EventName = "Tandem.Replication.Resize")]
    public static partial void Resized(ILogger logger, string resource, long old, long @new, string reason);

    [LoggerMessage(2018, LogLevel.Warning, "{Resource}: congestion: {State} ({Reason})", EventName = "Tandem.Replication.Congestion")]
    public static partial void Congestion(ILogger logger, string resource, string state, string reason);

    [LoggerMessage(2019, LogLevel.Warning, "{Resource}: dropped a connection to the replication port that did not prove to be the peer: {Reason} ({Suppressed} more since the last report); still waiting for the peer",
        EventName = "Tandem.Replication.ConnectionRejected")]
    public static partial void ConnectionRejected(ILogger logger, string resource, string reason, long suppressed);
}
