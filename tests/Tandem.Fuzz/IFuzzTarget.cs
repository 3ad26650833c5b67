namespace Tandem.Fuzz;

/// <summary>
/// One fuzz entry point. <see cref="Run"/> must return normally for every input: a parser's own
/// rejection (a diagnostic, a protocol error result) is normal; any other exception is a finding.
/// </summary>
public interface IFuzzTarget
{
    /// <summary>The name used on the command line.</summary>
    string Name { get; }

    /// <summary>Feeds one input to the code under test.</summary>
    /// <param name="input">The bytes.</param>
    void Run(ReadOnlySpan<byte> input);
}
