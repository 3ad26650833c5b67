using System.Text;
using Tandem.Config;
using Tandem.Config.Classic.Drbd;

namespace Tandem.Fuzz.Targets;

/// <summary>
/// drbd.conf text (any bytes, decoded as UTF-8 with replacement) through the whole reader:
/// tokenizer, parser, model builder. Includes resolve to nothing, so no disk is touched.
/// </summary>
public sealed class DrbdConfFuzzTarget : IFuzzTarget
{
    /// <inheritdoc/>
    public string Name => "drbdconf";

    /// <inheritdoc/>
    public void Run(ReadOnlySpan<byte> input)
    {
        var text = Encoding.UTF8.GetString(input);
        var bag = new DiagnosticBag();
        DrbdConf.Parse(text, "/fuzz/drbd.conf", bag, static _ => null);
        foreach (var d in bag.Items)
        {
            // Formatting every finding is part of the contract: messages must not throw either.
            _ = d.ToString();
        }
    }
}
