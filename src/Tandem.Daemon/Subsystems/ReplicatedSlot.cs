using System.Net;
using Tandem.Core.Events;
using Tandem.Core.Model;
using Tandem.Core.Volumes;
using Tandem.Replication;

namespace Tandem.Daemon.Subsystems;

/// <summary>
/// One replicated volume of this node as the daemon hosts it: the configuration it comes from, the
/// open <see cref="ReplicatedVolume"/> (null while down or unavailable), the devices it owns and why
/// it is not up. Operations on it are serialised by <see cref="Gate"/>.
/// </summary>
internal sealed class ReplicatedSlot
{
    public const string Starting = "starting";
    public const string Up = "up";
    public const string Down = "down";
    public const string NoMetadata = "no metadata";
    public const string Unavailable = "unavailable";

    public ReplicatedSlot(string name, ReplicatedResourceSpec resource, VolumeSpec volume)
    {
        Name = name;
        Resource = resource;
        Volume = volume;
    }

    /// <summary>The export name (the resource name, or resource-volume for several volumes).</summary>
    public string Name { get; }

    public ReplicatedResourceSpec Resource { get; }

    public VolumeSpec Volume { get; }

    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>The open replica, or null. Read without the gate by status and the volume control.</summary>
    public volatile ReplicatedVolume? Replica;

    public IBlockVolume? Backing { get; set; }

    public IBlockVolume? ExternalMetadata { get; set; }

    /// <summary>Down, no metadata, unavailable or up.</summary>
    public volatile string State = Starting;

    /// <summary>Why it is not up, or null.</summary>
    public volatile string? Reason;

    /// <summary>The nbd_listen address this export owns (kept across down and up), or null.</summary>
    public IPEndPoint? Tcp { get; set; }

    /// <summary>A running online verify, or null.</summary>
    public Task? Verify { get; set; }

    /// <summary>Cancels the running verify when the volume goes down.</summary>
    public CancellationTokenSource? VerifyCancel { get; set; }

    /// <summary>Relays the replica's events and lets the host wait for a connection.</summary>
    public sealed class EventRelay(IEventSink inner) : IEventSink
    {
        private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completes at the first established connection.</summary>
        public Task Connected => _connected.Task;

        public ClusterEvent Publish(string kind, string subject, string reason, IReadOnlyDictionary<string, string>? data = null)
        {
            // Recorded first: whoever waits on the connection sees it in the event log already.
            var recorded = inner.Publish(kind, subject, reason, data);
            if (kind == "volume.connection" && data is not null && data.TryGetValue("new", out var state) && state == nameof(ConnectionState.Connected))
            {
                _connected.TrySetResult();
            }
            return recorded;
        }
    }
}
