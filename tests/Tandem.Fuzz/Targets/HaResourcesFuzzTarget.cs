using Tandem.Config;
using Tandem.Config.Classic;
using Tandem.Core.Model;

namespace Tandem.Fuzz.Targets;

/// <summary>Feeds bytes to the haresources reader as a file's contents.</summary>
public sealed class HaResourcesFuzzTarget : IFuzzTarget
{
    private static readonly NodeSpec[] s_nodes = [new("ovz-node1"), new("ovz-node2")];

    /// <inheritdoc/>
    public string Name => "haresources";

    /// <inheritdoc/>
    public void Run(ReadOnlySpan<byte> input)
    {
        var bag = new DiagnosticBag();
        // No script directories: a fuzzer must not probe the disk with names it invented.
        var groups = HaResourcesReader.Parse(HbText.Decode(input), "haresources", s_nodes, [], bag);
        if (groups.Select(g => g.Name).Distinct(StringComparer.Ordinal).Count() != groups.Count)
        {
            throw new InvalidOperationException("two groups with the same key");
        }
    }
}
