using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Tandem.Replication.Tests.Support;
using Xunit;

namespace Tandem.Replication.Tests.Volumes;

/// <summary>TLS on the peer connection (drbd.md §7.3, DRBD 9.2 <c>tls yes</c>).</summary>
public sealed class TlsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tandem-tls-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(PeerTransportKind.Tcp)]
    [InlineData(PeerTransportKind.InMemory)]
    public async Task Replicas_with_a_trusted_certificate_replicate_and_resync_over_tls(PeerTransportKind transport)
    {
        var (cert, key) = NewCertificate("shared");
        await using var c = await Cluster.SyncedAsync(tweak: o => o with { TlsCertificate = cert, TlsPrivateKey = key }, transport: transport);
        var size = c.A.Volume.Size;
        await c.A.Volume.WriteAsync(0, RandomNumberGenerator.GetBytes(1 << 20), false, Ct);
        await c.B.Volume.DisconnectAsync();
        await c.A.Volume.WriteAsync(2 << 20, RandomNumberGenerator.GetBytes(1 << 20), false, Ct);
        await c.B.Volume.ConnectAsync();
        await c.WaitSyncedAsync();
        Assert.Equal(Cluster.Hash(c.A, size), Cluster.Hash(c.B, size));
    }

    [Fact]
    public async Task Each_node_trusting_the_others_certificate_connects_and_an_untrusted_one_is_refused()
    {
        var (certA, keyA) = NewCertificate("alpha");
        var (certB, keyB) = NewCertificate("beta");
        var (certX, keyX) = NewCertificate("stranger");
        var trust = Path.Combine(_dir, "trust.pem");
        File.WriteAllText(trust, File.ReadAllText(certA) + "\n" + File.ReadAllText(certB) + "\n");
        await using (var ok = await Cluster.SyncedAsync(tweak: o => o with
        {
            TlsCertificate = o.NodeName == "alpha" ? certA : certB,
            TlsPrivateKey = o.NodeName == "alpha" ? keyA : keyB,
            TlsTrust = trust,
        }))
        {
            Assert.Equal(ConnectionState.Connected, ok.A.Volume.Connection);
        }
        await using var c = await Cluster.StartAsync(tweak: o => o with
        {
            TlsCertificate = o.NodeName == "alpha" ? certA : certX,
            TlsPrivateKey = o.NodeName == "alpha" ? keyA : keyX,
            TlsTrust = trust,
        });
        await c.A.Volume.ConnectAsync();
        await c.B.Volume.ConnectAsync();
        var refused = await c.Events.WaitAsync("a TLS refusal", e => e.Kind == "volume.connection" && e.Data!["new"] == "StandAlone" && e.Reason.Contains("TLS", StringComparison.Ordinal));
        Assert.Contains("trust", refused.Reason);
        Assert.NotEqual(ConnectionState.Connected, c.A.Volume.Connection);
    }

    [Fact]
    public async Task Tls_on_one_node_only_is_refused()
    {
        var (cert, key) = NewCertificate("alpha");
        await using var c = await Cluster.StartAsync(tweak: o => o.NodeName == "alpha" ? o with { TlsCertificate = cert, TlsPrivateKey = key } : o);
        await c.A.Volume.ConnectAsync();
        await c.B.Volume.ConnectAsync();
        await c.Events.WaitAsync("a refusal", e => e.Kind == "volume.connection" && e.Data!["new"] == "StandAlone");
        Assert.NotEqual(ConnectionState.Connected, c.A.Volume.Connection);
        Assert.NotEqual(ConnectionState.Connected, c.B.Volume.Connection);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (string Cert, string Key) NewCertificate(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var certPath = Path.Combine(_dir, name + ".crt");
        var keyPath = Path.Combine(_dir, name + ".key");
        File.WriteAllText(certPath, cert.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certPath, keyPath);
    }
}
