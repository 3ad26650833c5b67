namespace Tandem.Nbd.Protocol;

/// <summary>What a request is checked against: the export as negotiated on one connection.</summary>
/// <param name="Size">The export size in bytes.</param>
/// <param name="Flags">The transmission flags sent to the client.</param>
/// <param name="MinimumBlockSize">Required alignment of offsets and lengths (1 for none).</param>
/// <param name="MaxPayload">The largest READ/WRITE length accepted.</param>
/// <param name="StructuredReplies">Whether structured replies were negotiated.</param>
public readonly record struct NbdExportLimits(
    long Size, NbdTransmissionFlags Flags, int MinimumBlockSize, int MaxPayload, bool StructuredReplies);
