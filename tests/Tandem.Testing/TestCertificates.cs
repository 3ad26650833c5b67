using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Tandem.Testing;

/// <summary>
/// A throw-away PKI made in the test: a CA, a server certificate for 127.0.0.1, a client
/// certificate from the CA and one from another CA, written as PEM files in the layout that libnbd
/// (tls-certificates=DIR) and qemu (tls-creds-x509,dir=DIR) read: ca-cert.pem, client-cert.pem,
/// client-key.pem. <see cref="NoClientDirectory"/> has the CA only, <see cref="StrangerDirectory"/>
/// a client certificate the server does not trust.
/// </summary>
public sealed class TestCertificates
{
    private TestCertificates(string directory)
    {
        Directory = directory;
    }

    /// <summary>Where the files are.</summary>
    public string Directory { get; }

    /// <summary>The client's directory: the CA and a client certificate the CA signed.</summary>
    public string ClientDirectory => Path.Combine(Directory, "client");

    /// <summary>The CA only: TLS without a client certificate.</summary>
    public string NoClientDirectory => Path.Combine(Directory, "anonymous");

    /// <summary>The CA and a client certificate from another CA.</summary>
    public string StrangerDirectory => Path.Combine(Directory, "stranger");

    /// <summary>The server's certificate (PEM), for 127.0.0.1 and localhost.</summary>
    public string ServerCertificate => Path.Combine(Directory, "server-cert.pem");

    /// <summary>The server's private key (PEM).</summary>
    public string ServerKey => Path.Combine(Directory, "server-key.pem");

    /// <summary>The CA that signed the server's and the client's certificates (PEM).</summary>
    public string CaCertificate => Path.Combine(Directory, "ca-cert.pem");

    /// <summary>Makes the certificates and writes them below <paramref name="directory"/>.</summary>
    /// <param name="directory">An existing directory the test owns (and deletes).</param>
    /// <param name="serverAddress">Another address the server certificate names besides 127.0.0.1 (clients check it).</param>
    /// <returns>Where each file is.</returns>
    public static TestCertificates Create(string directory, IPAddress? serverAddress = null)
    {
        var pki = new TestCertificates(directory);
        using var caKey = RSA.Create(2048);
        using var ca = Authority("Tandem test CA", caKey);
        using var otherKey = RSA.Create(2048);
        using var other = Authority("Someone else's CA", otherKey);
        File.WriteAllText(pki.CaCertificate, ca.ExportCertificatePem());

        using var serverKey = RSA.Create(2048);
        var server = Request((serverAddress ?? IPAddress.Loopback).ToString(), serverKey, "1.3.6.1.5.5.7.3.1");
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        if (serverAddress is not null && !serverAddress.Equals(IPAddress.Loopback))
        {
            names.AddIpAddress(serverAddress);
        }
        names.AddDnsName("localhost");
        server.CertificateExtensions.Add(names.Build());
        using (var issued = Issue(server, ca))
        {
            File.WriteAllText(pki.ServerCertificate, issued.ExportCertificatePem());
            File.WriteAllText(pki.ServerKey, serverKey.ExportPkcs8PrivateKeyPem());
        }
        WriteClient(pki.ClientDirectory, ca, ca);
        WriteClient(pki.StrangerDirectory, ca, other);
        System.IO.Directory.CreateDirectory(pki.NoClientDirectory);
        File.WriteAllText(Path.Combine(pki.NoClientDirectory, "ca-cert.pem"), ca.ExportCertificatePem());
        return pki;
    }

    private static void WriteClient(string directory, X509Certificate2 trustedCa, X509Certificate2 issuer)
    {
        System.IO.Directory.CreateDirectory(directory);
        using var key = RSA.Create(2048);
        using var client = Issue(Request("tandem-test-client", key, "1.3.6.1.5.5.7.3.2"), issuer);
        File.WriteAllText(Path.Combine(directory, "ca-cert.pem"), trustedCa.ExportCertificatePem());
        File.WriteAllText(Path.Combine(directory, "client-cert.pem"), client.ExportCertificatePem());
        File.WriteAllText(Path.Combine(directory, "client-key.pem"), key.ExportPkcs8PrivateKeyPem());
    }

    private static X509Certificate2 Authority(string name, RSA key)
    {
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-2), DateTimeOffset.UtcNow.AddDays(60));
    }

    private static CertificateRequest Request(string name, RSA key, string usage)
    {
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request;
    }

    private static X509Certificate2 Issue(CertificateRequest request, X509Certificate2 issuer)
    {
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        return request.Create(issuer, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), serial);
    }
}
