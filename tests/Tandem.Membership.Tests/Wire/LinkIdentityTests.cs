using Tandem.Core.Model;
using Tandem.Membership.Wire;
using Xunit;

namespace Tandem.Membership.Tests.Wire;

/// <summary>
/// The identity a link-bound MAC covers (issue #18 item 2) must come out alike on both nodes even
/// where their configurations are written differently, as classic ha.cf files are.
/// </summary>
public sealed class LinkIdentityTests
{
    [Fact]
    public void Two_ha_cf_files_written_differently_give_the_same_identities()
    {
        // alpha's ha.cf: "ucast eth1 10.0.0.2", "serial /dev/ttyS0", "bcast eth2".
        LinkSpec[] alpha =
        [
            new UnicastLinkSpec("ucast-eth1", "eth1", 694, [new LinkEndpoint("10.0.0.2")]),
            new SerialLinkSpec("serial-ttyS0", "/dev/ttyS0", 19200),
            new BroadcastLinkSpec("bcast-eth2", "eth2", 694),
        ];
        // beta's: the serial line first, another tty, other interface names, alpha's address.
        LinkSpec[] beta =
        [
            new SerialLinkSpec("serial-ttyUSB0", "/dev/ttyUSB0", 19200),
            new BroadcastLinkSpec("bcast-ens5", "ens5", 694),
            new UnicastLinkSpec("ucast-ens4", "ens4", 694, [new LinkEndpoint("10.0.0.1")]),
        ];
        Assert.Equal(["ucast/0", "serial/0", "bcast/0"], LinkIdentity.Of(alpha));
        Assert.Equal(["serial/0", "bcast/0", "ucast/0"], LinkIdentity.Of(beta));
    }

    [Fact]
    public void Links_of_one_kind_are_told_apart_by_their_position()
    {
        LinkSpec[] links =
        [
            new SerialLinkSpec("serial-ttyS0", "/dev/ttyS0", 19200),
            new UnicastLinkSpec("net1", null, 694, []),
            new SerialLinkSpec("serial-ttyS1", "/dev/ttyS1", 19200),
            new UnicastLinkSpec("net2", null, 694, []),
            new MulticastLinkSpec("mcast-eth0", "eth0", "239.0.0.1", 694, 1, false),
        ];
        Assert.Equal(["serial/0", "ucast/0", "serial/1", "ucast/1", "mcast/0"], LinkIdentity.Of(links));
    }
}
