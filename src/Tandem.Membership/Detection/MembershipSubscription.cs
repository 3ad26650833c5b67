using System.Threading.Channels;
using Tandem.Core.Membership;

namespace Tandem.Membership.Detection;

/// <summary>
/// The membership views of one consumer, from <see cref="FailureDetector.Subscribe"/>: the view at
/// the moment of subscribing, then every later one, in order. The queue is unbounded on purpose:
/// views come only at status changes, so a consumer that is slow for a while never loses one (the
/// event log, which can, is for operators).
/// </summary>
public sealed class MembershipSubscription : IDisposable
{
    private readonly Channel<MembershipView> _views = Channel.CreateUnbounded<MembershipView>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Action<MembershipSubscription> _unsubscribe;

    internal MembershipSubscription(Action<MembershipSubscription> unsubscribe) => _unsubscribe = unsubscribe;

    /// <summary>Reads the views in order until the subscription is disposed.</summary>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <returns>The views.</returns>
    public IAsyncEnumerable<MembershipView> ReadAllAsync(CancellationToken cancellationToken) => _views.Reader.ReadAllAsync(cancellationToken);

    internal void Offer(MembershipView view) => _views.Writer.TryWrite(view);

    /// <inheritdoc/>
    public void Dispose()
    {
        _views.Writer.TryComplete();
        _unsubscribe(this);
    }
}
