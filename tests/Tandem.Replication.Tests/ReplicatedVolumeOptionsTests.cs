using Tandem.Config;
using Tandem.Config.Classic;
using Tandem.Core.Model;
using Xunit;

namespace Tandem.Replication.Tests;

/// <summary>drbd.conf settings of disk errors, fencing and congestion reach <see cref="ReplicatedVolumeOptions"/>.</summary>
public sealed class ReplicatedVolumeOptionsTests
{
    [Fact]
    public void From_spec_maps_io_error_fencing_congestion_and_handlers_from_drbd_conf()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tandem-drbd-{Guid.NewGuid():N}.conf");
        File.WriteAllText(path, """
            resource r0 {
              protocol A;
              disk { on-io-error call-local-io-error; fencing resource-only; disk-timeout 50; no-disk-flushes; }
              net { on-congestion pull-ahead; congestion-fill 2M; congestion-extents 500; tls yes; tls-certificate "/etc/tandem/alpha.crt"; tls-privkey "/etc/tandem/alpha.key"; }
              handlers { fence-peer "/usr/lib/heartbeat/drbd-peer-outdater -t 5"; local-io-error "/usr/lib/drbd/notify-io-error.sh"; }
              on alpha { device /dev/drbd0; disk /dev/sda3; address 127.0.0.1:7788; meta-disk internal; }
              on beta { device /dev/drbd0; disk /dev/sda3; address 127.0.0.2:7788; meta-disk internal; }
            }
            """);
        try
        {
            var bag = new DiagnosticBag();
            var spec = Assert.Single(DrbdConfReader.Read(path, bag));
            var o = ReplicatedVolumeOptions.FromSpec(spec, "alpha");
            Assert.Equal(OnIoErrorPolicy.CallLocalIoError, o.OnIoError);
            Assert.Equal("/usr/lib/drbd/notify-io-error.sh", o.LocalIoErrorHandler);
            Assert.Equal(TimeSpan.FromSeconds(5), o.DiskTimeout);
            Assert.False(o.DiskFlushes);
            Assert.Equal(FencingPolicy.ResourceOnly, o.Fencing);
            Assert.Equal("/usr/lib/heartbeat/drbd-peer-outdater -t 5", o.FencePeerHandler);
            Assert.Null(o.FencePeer);
            Assert.Equal(CongestionPolicy.PullAhead, o.OnCongestion);
            Assert.Equal(2L << 20, o.CongestionFill);
            Assert.Equal(500, o.CongestionExtents);
            Assert.Equal("/etc/tandem/alpha.crt", o.TlsCertificate);
            Assert.Equal("/etc/tandem/alpha.key", o.TlsPrivateKey);
            Assert.Null(o.TlsTrust);
            Assert.Equal("/usr/lib/heartbeat/drbd-peer-outdater -t 5", o.Handlers["fence-peer"]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void From_spec_defaults_are_drbds_and_native_names_are_read_too()
    {
        var hosts = new[] { new ReplicaHostSpec("alpha", "127.0.0.1:7788", []), new ReplicaHostSpec("beta", "127.0.0.2:7788", []) };
        var plain = ReplicatedVolumeOptions.FromSpec(new ReplicatedResourceSpec("r0") { Hosts = hosts }, "alpha");
        Assert.Equal(OnIoErrorPolicy.Detach, plain.OnIoError);
        Assert.Equal(FencingPolicy.DontCare, plain.Fencing);
        Assert.Equal(CongestionPolicy.Block, plain.OnCongestion);
        Assert.Equal(TimeSpan.Zero, plain.DiskTimeout);
        Assert.True(plain.DiskFlushes);
        Assert.Equal(0, plain.CongestionFill);
        Assert.Null(plain.FencePeerHandler);
        Assert.Null(plain.TlsCertificate);
        var spec = new ReplicatedResourceSpec("r0")
        {
            Hosts = hosts,
            Disk = new DiskOptions { OnIoError = "pass_on", Fencing = "resource-and-stonith" },
            Net = new NetOptions { Other = new Dictionary<string, string> { ["on-congestion"] = "disconnect", ["congestion-fill"] = "1024" } },
            Handlers = new Dictionary<string, string> { ["fence_peer"] = "/bin/true" },
        };
        var o = ReplicatedVolumeOptions.FromSpec(spec, "beta");
        Assert.Equal(OnIoErrorPolicy.PassOn, o.OnIoError);
        Assert.Equal(FencingPolicy.ResourceAndStonith, o.Fencing);
        Assert.Equal(CongestionPolicy.Disconnect, o.OnCongestion);
        Assert.Equal(1024 * 512, o.CongestionFill); // sectors, DRBD's default unit
        Assert.Equal("/bin/true", o.FencePeerHandler);
        Assert.Equal("/bin/true", o.Handlers["fence-peer"]);
    }
}
