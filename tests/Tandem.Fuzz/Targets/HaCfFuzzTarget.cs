using Tandem.Config;
using Tandem.Config.Classic;

namespace Tandem.Fuzz.Targets;

/// <summary>Feeds bytes to the ha.cf reader as a file's contents.</summary>
public sealed class HaCfFuzzTarget : IFuzzTarget
{
    /// <inheritdoc/>
    public string Name => "hacf";

    /// <inheritdoc/>
    public void Run(ReadOnlySpan<byte> input)
    {
        var bag = new DiagnosticBag();
        var doc = HaCfReader.Parse(HbText.Decode(input), "ha.cf", a => a.GetAddressBytes()[^1] == 1, bag);
        if (!bag.HasErrors && (doc.Spec.Nodes.Count == 0 || doc.Spec.Links.Count == 0))
        {
            throw new InvalidOperationException("ha.cf accepted without a node or a medium");
        }
    }
}
