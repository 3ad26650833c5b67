using Tandem.Replication.Protocol;

namespace Tandem.Fuzz.Targets;

/// <summary>
/// The replication peer protocol's decoders: a frame header, then its payload parsed by the
/// decoder of its type. Any bytes must be accepted or rejected, never crash.
/// </summary>
public sealed class ReplicationFrameFuzzTarget : IFuzzTarget
{
    /// <inheritdoc/>
    public string Name => "replication-frame";

    /// <inheritdoc/>
    public void Run(ReadOnlySpan<byte> input)
    {
        if (!FrameHeader.TryParse(input, out var header, out _))
        {
            return;
        }
        var payload = input[FrameHeader.Size..];
        if (payload.Length > header.Length)
        {
            payload = payload[..header.Length];
        }
        _ = FeaturesMessage.TryParse(payload, out _);
        _ = ParamsMessage.TryParse(payload, out _, out _);
        _ = DataHeader.TryParse(payload, out _);
        _ = ReplicationMessages.TryParseAck(payload, out _);
        _ = ReplicationMessages.TryParseBarrier(payload, out _, out _);
        _ = ReplicationMessages.TryParseUuids(payload, out _, out _);
        _ = ReplicationMessages.TryParseBitmapChunk(payload, out _, out _);
        Span<(long, int)> runs = new (long, int)[ResyncBatch.MaxRuns];
        _ = ResyncBatch.TryParse(payload, 1L << 30, runs, out _, out _, out _);
    }
}
