using Tandem.Daemon.Subsystems;

namespace Tandem.Fuzz.Targets;

/// <summary>Feeds bytes to the outdate-peer protocol's decoder; what it accepts must encode back to the same bytes.</summary>
public sealed class OutdateMessageFuzzTarget : IFuzzTarget
{
    /// <inheritdoc/>
    public string Name => "outdate-message";

    /// <inheritdoc/>
    public void Run(ReadOnlySpan<byte> input)
    {
        OutdateMessage message;
        try
        {
            message = OutdateMessage.Parse(input);
        }
        catch (FormatException)
        {
            return;
        }
        if (!message.Format().AsSpan().SequenceEqual(input))
        {
            throw new InvalidOperationException("a decoded outdate message does not encode back to its bytes");
        }
    }
}
