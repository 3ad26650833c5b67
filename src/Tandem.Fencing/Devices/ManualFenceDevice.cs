using System.Collections.Concurrent;
using Tandem.Core.Events;
using Tandem.Core.Model;

namespace Tandem.Fencing.Devices;

/// <summary>
/// Manual fencing (Heartbeat's <c>meatware</c>): an operator makes sure the node is off, then runs
/// <c>tandem fence confirm NODE</c>, which calls <see cref="Confirm"/>. Until then the attempt waits.
/// </summary>
public sealed class ManualFenceDevice : IFenceDevice
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _pending = new(StringComparer.Ordinal);
    private readonly IEventSink? _events;

    /// <summary>Creates the device.</summary>
    /// <param name="spec">The device.</param>
    /// <param name="events">Where the request for operator intervention is announced; null for nowhere.</param>
    public ManualFenceDevice(FenceDeviceSpec spec, IEventSink? events = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        Spec = spec;
        _events = events;
    }

    /// <inheritdoc />
    public FenceDeviceSpec Spec { get; }

    /// <summary>The nodes waiting for confirmation.</summary>
    public IReadOnlyCollection<string> Waiting => [.. _pending.Keys];

    /// <inheritdoc />
    public async Task<FenceResult> FenceAsync(string node, CancellationToken cancellationToken)
    {
        var tcs = _pending.GetOrAdd(node, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        _events?.Publish("fencing.manual-wait", node,
            $"OPERATOR INTERVENTION REQUIRED: make sure {node} is powered off, then run 'tandem fence confirm {node}'",
            new Dictionary<string, string>(StringComparer.Ordinal) { ["device"] = Spec.Name });
        try
        {
            await tcs.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            return FenceResult.Ok(Spec.Name, $"an operator confirmed that {node} is off");
        }
        catch (OperationCanceledException)
        {
            return FenceResult.Failed(Spec.Name, $"no operator confirmed that {node} is off");
        }
        finally
        {
            _pending.TryRemove(new KeyValuePair<string, TaskCompletionSource>(node, tcs));
        }
    }

    /// <summary>An operator confirms that <paramref name="node"/> is off.</summary>
    /// <param name="node">The node.</param>
    /// <returns>True when a fencing of that node was waiting for the confirmation.</returns>
    public bool Confirm(string node) => _pending.TryGetValue(node, out var tcs) && tcs.TrySetResult();
}
