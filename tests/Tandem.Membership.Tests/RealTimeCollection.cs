using Xunit;

namespace Tandem.Membership.Tests;

/// <summary>
/// Tests that saturate the CPU or freeze processes run alone, so that they do not disturb the
/// timing assertions of other real-time tests (and are not disturbed by them).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RealTimeCollection
{
    public const string Name = "real-time stalls";
}
