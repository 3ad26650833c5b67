using Tandem.Resources.Placement;

namespace Tandem.Fuzz.Targets;

/// <summary>Feeds bytes to the placement protocol's decoder; what it accepts must encode back to the same bytes.</summary>
public sealed class PlacementMessageFuzzTarget : IFuzzTarget
{
    /// <inheritdoc/>
    public string Name => "placement-message";

    /// <inheritdoc/>
    public void Run(ReadOnlySpan<byte> input)
    {
        PlacementMessage message;
        try
        {
            message = PlacementMessage.Parse(input);
        }
        catch (PlacementProtocolException)
        {
            return;
        }
        if (!message.Format().AsSpan().SequenceEqual(input))
        {
            throw new InvalidOperationException("a decoded placement message does not encode back to its bytes");
        }
    }
}
