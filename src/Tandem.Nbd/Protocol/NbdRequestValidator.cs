namespace Tandem.Nbd.Protocol;

/// <summary>
/// Checks a request header against the export before anything is read, allocated or written.
/// Pure: the same header and limits always give the same answer (property-tested and fuzzed).
/// </summary>
public static class NbdRequestValidator
{
    /// <summary>Whether the request carries a payload of <see cref="NbdRequestHeader.Length"/> bytes
    /// that must be consumed from the stream, valid or not.</summary>
    /// <param name="request">The header.</param>
    /// <returns>True for WRITE.</returns>
    public static bool HasPayload(in NbdRequestHeader request) => request.Command == NbdCommand.Write;

    /// <summary>Checks a request.</summary>
    /// <param name="request">The header.</param>
    /// <param name="limits">The export on this connection.</param>
    /// <returns><see cref="NbdError.None"/> when the request may be executed, else the error to reply with.</returns>
    public static NbdError Validate(in NbdRequestHeader request, in NbdExportLimits limits)
    {
        var allowedFlags = NbdCommandFlags.Fua;
        var isWrite = false;
        var needsRange = true;
        var beyondEnd = NbdError.Invalid;
        switch (request.Command)
        {
            case NbdCommand.Read:
                if (limits.StructuredReplies)
                {
                    allowedFlags |= NbdCommandFlags.DontFragment;
                }
                break;
            case NbdCommand.Write:
                isWrite = true;
                beyondEnd = NbdError.NoSpace;
                break;
            case NbdCommand.WriteZeroes:
                isWrite = true;
                beyondEnd = NbdError.NoSpace;
                allowedFlags |= NbdCommandFlags.NoHole;
                if ((limits.Flags & NbdTransmissionFlags.SendFastZero) != 0)
                {
                    allowedFlags |= NbdCommandFlags.FastZero;
                }
                break;
            case NbdCommand.Trim:
                isWrite = true;
                break;
            case NbdCommand.Cache:
                break;
            case NbdCommand.Flush:
            case NbdCommand.Disconnect:
                // Offset and length are meaningless for these; the protocol asks clients to send
                // zeros and servers to ignore them, so a nonzero value is not worth a failure.
                needsRange = false;
                break;
            default:
                return NbdError.Invalid;
        }

        if ((request.Flags & ~allowedFlags) != 0)
        {
            return NbdError.Invalid;
        }
        if ((request.Flags & NbdCommandFlags.Fua) != 0 && (limits.Flags & NbdTransmissionFlags.SendFua) == 0)
        {
            return NbdError.Invalid;
        }
        if (!needsRange)
        {
            return NbdError.None;
        }
        if (request.Length == 0)
        {
            return NbdError.Invalid;
        }
        if ((request.Command is NbdCommand.Read or NbdCommand.Write) && request.Length > (uint)limits.MaxPayload)
        {
            return NbdError.Overflow;
        }
        if (isWrite && (limits.Flags & NbdTransmissionFlags.ReadOnly) != 0)
        {
            return NbdError.Perm;
        }
        if (limits.MinimumBlockSize > 1
            && (request.Offset % (uint)limits.MinimumBlockSize != 0 || request.Length % (uint)limits.MinimumBlockSize != 0))
        {
            return NbdError.Invalid;
        }
        var size = (ulong)limits.Size;
        if (request.Offset > size || request.Length > size - request.Offset)
        {
            return beyondEnd;
        }
        return NbdError.None;
    }
}
