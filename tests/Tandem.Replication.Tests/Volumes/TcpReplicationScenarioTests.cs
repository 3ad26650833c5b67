using Tandem.Replication.Tests.Support;

namespace Tandem.Replication.Tests.Volumes;

/// <summary>The replication scenarios over loopback TCP.</summary>
public sealed class TcpReplicationScenarioTests : ReplicationScenarioTests
{
    private protected override PeerTransportKind Transport => PeerTransportKind.Tcp;
}
