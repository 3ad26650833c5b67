using Tandem.Config;
using Tandem.Config.Native;
using Tandem.Core.Model;
using Tandem.Lab.Configuration;
using Tandem.Lab.Network;
using Xunit;

namespace Tandem.Lab.Tests.Configuration;

public sealed class LabConfigTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("tandem-lab-config-").FullName;

    [Fact]
    public void A_generated_configuration_reads_back_as_the_same_cluster()
    {
        var subnet = LoopbackSubnet.Pick(2, tcpPorts: 1, udpPorts: 3);
        var spec = new ClusterSpec
        {
            Name = "lab",
            AutoFailback = FailbackMode.On,
            Timing = LabConfig.Timing(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(300), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30)),
            Nodes = [new NodeSpec("alpha"), new NodeSpec("bravo")],
            Links =
            [
                LabConfig.AddressPerNode("lo-addr", subnet.UdpPorts[0], [("alpha", subnet.Addresses[0]), ("bravo", subnet.Addresses[1])], "lo"),
                LabConfig.PortPerNode("lo-port", subnet.Addresses[0], [("alpha", subnet.UdpPorts[1]), ("bravo", subnet.UdpPorts[2])], "lo"),
            ],
            Auth = LabConfig.Sha256Key(),
            Replicated =
            [
                new ReplicatedResourceSpec("r0")
                {
                    Net = new NetOptions { ConnectInterval = TimeSpan.FromSeconds(1), PingInterval = TimeSpan.FromSeconds(1) },
                    Hosts =
                    [
                        new ReplicaHostSpec("alpha", $"{subnet.Addresses[0]}:{subnet.TcpPorts[0]}", [new VolumeSpec(0, Path.Combine(_work, "a-dev"), Path.Combine(_work, "a.img"), "internal")]),
                        new ReplicaHostSpec("bravo", $"{subnet.Addresses[1]}:{subnet.TcpPorts[0]}", [new VolumeSpec(0, Path.Combine(_work, "b-dev"), Path.Combine(_work, "b.img"), "internal")]),
                    ],
                },
            ],
            Groups =
            [
                new GroupSpec("records", "alpha",
                [
                    new ResourceSpec("r0", "drbddisk") { Class = AgentClass.BuiltIn, Arguments = ["r0"], Parameters = new Dictionary<string, string> { ["attach"] = "no" } },
                    new ResourceSpec("writer", "process") { Class = AgentClass.BuiltIn, Parameters = new Dictionary<string, string> { ["command"] = "echo 'a \"quoted\" word'" }, MonitorInterval = TimeSpan.FromSeconds(1) },
                ]),
            ],
            Fencing = new FencingSpec { Devices = [new FenceDeviceSpec("plug", FenceKind.Script, Path.Combine(_work, "fence")) { Parameters = new Dictionary<string, string> { ["timeout"] = "10" } }] },
        };
        var path = LabConfig.Write(spec, Path.Combine(_work, "tandem.toml"), "Written by a test\nof the lab");

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.StartsWith("# Written by a test\n# of the lab\n", File.ReadAllText(path), StringComparison.Ordinal);
        var diagnostics = new DiagnosticBag();
        var read = NativeConfigReader.Read(path, new ConfigOptions { NativeConfig = path }, diagnostics);
        Assert.False(diagnostics.HasErrors, string.Join("\n", diagnostics.Items));
        Assert.Equal(NativeConfigWriter.Write(spec), NativeConfigWriter.Write(read with { Sources = [] }));
        Assert.Equal(["alpha", "bravo"], read.Nodes.Select(n => n.Name));
        var link = Assert.IsType<UnicastLinkSpec>(read.Links[1]);
        Assert.Equal([subnet.UdpPorts[1], subnet.UdpPorts[2]], link.Endpoints.Select(e => e.Port));
        Assert.Equal(spec.Auth!.Active.Secret, read.Auth!.Active.Secret);
    }

    [Fact]
    public void A_configuration_the_reader_refuses_is_named_when_written()
    {
        var spec = new ClusterSpec { Name = "lab", Nodes = [new NodeSpec("alpha")], Groups = [new GroupSpec("g", "nobody", [])] };

        var e = Assert.Throws<LabException>(() => LabConfig.Write(spec, Path.Combine(_work, "bad.toml")));

        Assert.Contains("does not read back", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_fresh_key_is_random_each_time()
    {
        Assert.NotEqual(LabConfig.Sha256Key().Active.Secret, LabConfig.Sha256Key().Active.Secret);
        Assert.Equal(64, LabConfig.Sha256Key().Active.Secret.Length);
    }

    public void Dispose() => Directory.Delete(_work, recursive: true);
}
