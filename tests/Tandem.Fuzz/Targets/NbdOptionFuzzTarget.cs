using Tandem.Nbd.Protocol;

namespace Tandem.Fuzz.Targets;

/// <summary>
/// <c>nbd-option</c>: the input is the client side of a negotiation after the client flags: option
/// headers with their data. Each is parsed as the server does (INFO/GO requests, export names);
/// parsing must never throw, and an accepted INFO/GO request must re-encode to the same bytes.
/// </summary>
public sealed class NbdOptionFuzzTarget : IFuzzTarget
{
    /// <inheritdoc />
    public string Name => "nbd-option";

    /// <inheritdoc />
    public void Run(ReadOnlySpan<byte> input)
    {
        while (input.Length >= NbdOptionHeader.Size)
        {
            if (!NbdOptionHeader.TryParse(input, out var header))
            {
                return;
            }
            input = input[NbdOptionHeader.Size..];
            if (header.Length > (uint)input.Length)
            {
                return;
            }
            var data = input[..(int)header.Length];
            input = input[(int)header.Length..];
            switch ((NbdOption)header.Option)
            {
                case NbdOption.Info:
                case NbdOption.Go:
                    if (NbdInfoRequest.TryParse(data, out var request) && !data.SequenceEqual(request!.ToBytes()))
                    {
                        throw new InvalidOperationException("an accepted INFO/GO request does not re-encode to its bytes");
                    }
                    break;
                case NbdOption.ExportName:
                    NbdInfoRequest.TryDecodeName(data, out _);
                    break;
                default:
                    break;
            }
        }
    }
}
