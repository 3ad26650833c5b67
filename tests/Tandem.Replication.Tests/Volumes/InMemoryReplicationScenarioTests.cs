using Tandem.Replication.Tests.Support;

namespace Tandem.Replication.Tests.Volumes;

/// <summary>The replication scenarios over the in-memory link: two replicas in one process, no socket.</summary>
public sealed class InMemoryReplicationScenarioTests : ReplicationScenarioTests
{
    private protected override PeerTransportKind Transport => PeerTransportKind.InMemory;
}
