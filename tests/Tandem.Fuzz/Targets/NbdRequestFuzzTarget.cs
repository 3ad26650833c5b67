using Tandem.Nbd.Protocol;

namespace Tandem.Fuzz.Targets;

/// <summary>
/// <c>nbd-request</c>: the input is a stream of transmission requests as a client would send them.
/// Each header is parsed and validated against a few export shapes exactly as the server's receive
/// loop does, and a WRITE's payload is skipped by its length; parsing must never throw.
/// </summary>
public sealed class NbdRequestFuzzTarget : IFuzzTarget
{
    private static readonly NbdExportLimits[] s_exports =
    [
        new(64L << 20, NbdTransmissionFlags.HasFlags | NbdTransmissionFlags.SendFlush | NbdTransmissionFlags.SendFua
            | NbdTransmissionFlags.SendTrim | NbdTransmissionFlags.SendWriteZeroes | NbdTransmissionFlags.SendFastZero, 1, NbdConstants.MaxPayload, false),
        new(1L << 40, NbdTransmissionFlags.HasFlags | NbdTransmissionFlags.ReadOnly | NbdTransmissionFlags.SendDf, 4096, NbdConstants.MaxPayload, true),
        new(0, NbdTransmissionFlags.HasFlags, 512, NbdConstants.MaxPayload, true),
    ];

    /// <inheritdoc />
    public string Name => "nbd-request";

    /// <inheritdoc />
    public void Run(ReadOnlySpan<byte> input)
    {
        while (input.Length >= NbdRequestHeader.Size)
        {
            if (!NbdRequestHeader.TryParse(input, out var request))
            {
                return; // the server hangs up on a bad magic
            }
            input = input[NbdRequestHeader.Size..];
            foreach (var export in s_exports)
            {
                var error = NbdRequestValidator.Validate(request, export);
                if (error == NbdError.None && request.Command is not (NbdCommand.Flush or NbdCommand.Disconnect)
                    && (request.Length == 0 || request.Offset + request.Length > (ulong)export.Size || request.Offset + request.Length < request.Offset))
                {
                    throw new InvalidOperationException($"accepted an out-of-range request {request} for {export}");
                }
            }
            if (request.Command == NbdCommand.Disconnect)
            {
                return;
            }
            if (NbdRequestValidator.HasPayload(request))
            {
                if (request.Length > (uint)input.Length)
                {
                    return;
                }
                input = input[(int)request.Length..];
            }
        }
    }
}
