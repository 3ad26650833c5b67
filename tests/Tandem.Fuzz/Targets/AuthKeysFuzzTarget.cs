using Tandem.Config;
using Tandem.Config.Classic;

namespace Tandem.Fuzz.Targets;

/// <summary>Feeds bytes to the authkeys reader as a file's contents.</summary>
public sealed class AuthKeysFuzzTarget : IFuzzTarget
{
    /// <inheritdoc/>
    public string Name => "authkeys";

    /// <inheritdoc/>
    public void Run(ReadOnlySpan<byte> input)
    {
        var bag = new DiagnosticBag();
        var spec = AuthKeysReader.Parse(HbText.Decode(input), "authkeys", allowInsecure: input.Length % 2 == 0, bag);
        if ((spec is null) != bag.HasErrors)
        {
            throw new InvalidOperationException("authkeys gave keys together with errors, or neither");
        }
        _ = spec?.Active; // the active key must exist
    }
}
