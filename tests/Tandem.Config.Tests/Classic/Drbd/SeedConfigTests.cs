using Xunit;
using Tandem.Config.Classic;
using Tandem.Config.Classic.Drbd;
using Tandem.Core.Model;

namespace Tandem.Config.Tests.Classic.Drbd;

public class SeedConfigTests
{
    private const string SeedPath = "/work/shared/examples/classic/drbd.conf";

    private static string SeedText()
    {
        // The seed file is copied next to the tests, so that the test runs anywhere.
        var local = Path.Combine(AppContext.BaseDirectory, "Corpus", "drbd", "valid", "seed-drbd.conf");
        return File.Exists(local) ? File.ReadAllText(local) : File.ReadAllText(SeedPath);
    }

    [Fact]
    public void Seed_reads_with_no_errors_and_the_expected_model()
    {
        var dir = Directory.CreateTempSubdirectory("tandem-drbd-");
        try
        {
            var path = Path.Combine(dir.FullName, "drbd.conf");
            File.WriteAllText(path, SeedText());
            var bag = new DiagnosticBag();
            var resources = DrbdConfReader.Read(path, bag);
            bag.NoErrors();
            Assert.DoesNotContain(bag.Items, d => d.Severity == Severity.Warning);

            var incon = bag.Single(DrbdCodes.LegacyKeyword);
            Assert.Contains("incon-degr-cmd", incon.Message, StringComparison.Ordinal);
            Assert.Contains("0.7/8.0", incon.Message, StringComparison.Ordinal);
            Assert.Equal(Severity.Info, incon.Severity);
            Assert.Equal(5, incon.Line);
            var syncer = bag.Single(DrbdCodes.SyncerSection);
            Assert.Equal(Severity.Info, syncer.Severity);
            Assert.Equal(path, syncer.File);

            var r0 = Assert.Single(resources);
            Assert.Equal("r0", r0.Name);
            Assert.Equal(ReplicationProtocol.C, r0.Protocol);
            Assert.Equal(["ovz-node1", "ovz-node2"], r0.Hosts.Select(h => h.Name));
            Assert.Equal(["10.0.0.1:7788", "10.0.0.2:7788"], r0.Hosts.Select(h => h.Address));
            foreach (var host in r0.Hosts)
            {
                var v = Assert.Single(host.Volumes);
                Assert.Equal(new VolumeSpec(0, "/dev/drbd0", "/dev/hda3", "internal"), v);
            }
            Assert.Equal(30L * 1024 * 1024, r0.Disk.ResyncRate);
            Assert.Equal(257, r0.Disk.AlExtents);
            Assert.Equal("detach", r0.Disk.OnIoError);
            Assert.Equal("discard-zero-changes", r0.Net.AfterSb0Pri);
            Assert.Equal("discard-secondary", r0.Net.AfterSb1Pri);
            Assert.Equal("disconnect", r0.Net.AfterSb2Pri);
            Assert.Equal(TimeSpan.FromSeconds(120), r0.Startup.DegrWfcTimeout);
            Assert.Equal(TimeSpan.Zero, r0.Startup.WfcTimeout);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
