using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using QrMahalla.Grains.Hosting;
using QrMahalla.Grains.Options;

namespace QrMahalla.Unit.Tests;

/// <summary>When the cluster must run TLS, and which certificates a peer may show.</summary>
public sealed class ClusterTlsRulesTests
{
    private static readonly ClusteringOptions AcrossMachines = new() { Provider = ClusterProvider.PostgreSql, AdvertisedAddress = "10.0.0.5" };

    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public void Outside_development_a_cluster_across_machines_needs_tls_or_says_it_is_off(string environment)
    {
        var silo = new ClusterTlsValidator(new TestEnvironment(environment), silo: true);
        var client = new ClusterTlsValidator(new TestEnvironment(environment), silo: false);

        Assert.StartsWith("Cluster:AdvertisedAddress '10.0.0.5' opens the silo and gateway ports", silo.Validate(null, AcrossMachines).FailureMessage);
        Assert.StartsWith("This client reaches the cluster over the network", client.Validate(null, AcrossMachines).FailureMessage);
        Assert.True(silo.Validate(null, With(AcrossMachines, disabled: true)).Succeeded);
        Assert.True(silo.Validate(null, With(AcrossMachines, certificate: "silo.pem", ca: "ca.pem")).Succeeded);
        Assert.True(silo.Validate(null, new ClusteringOptions { Provider = ClusterProvider.PostgreSql, AdvertisedAddress = "127.0.0.1" }).Succeeded);
        Assert.True(silo.Validate(null, new ClusteringOptions { Provider = ClusterProvider.PostgreSql }).Succeeded);
        Assert.True(client.Validate(null, new ClusteringOptions { Provider = ClusterProvider.Localhost }).Succeeded);
    }

    [Fact]
    public void Development_runs_without_tls_and_half_a_tls_setting_is_refused_everywhere()
    {
        var development = new ClusterTlsValidator(new TestEnvironment("Development"), silo: true);

        Assert.True(development.Validate(null, AcrossMachines).Succeeded);
        Assert.StartsWith("Cluster:Tls needs both CertificatePath", development.Validate(null, With(AcrossMachines, certificate: "silo.pem")).FailureMessage);
        Assert.StartsWith("Cluster:Tls needs both CertificatePath", development.Validate(null, With(AcrossMachines, ca: "ca.pem")).FailureMessage);
        Assert.StartsWith("Cluster:Tls:Disabled=true and a Cluster:Tls certificate are both set",
            development.Validate(null, With(AcrossMachines, certificate: "silo.pem", ca: "ca.pem", disabled: true)).FailureMessage);
    }

    [Fact]
    public void A_peer_is_trusted_only_with_a_current_certificate_from_the_clusters_ca_that_names_the_usage_its_port_needs()
    {
        using var ca = Authority("cluster CA");
        using var other = Authority("other CA");
        var folder = Directory.CreateTempSubdirectory("qrm-tls-").FullName;
        File.WriteAllText(Path.Combine(folder, "ca.pem"), ca.ExportCertificatePem());
        using var silo = Issue(ca, "silo", ClusterCertificates.ServerUsage, ClusterCertificates.ClientUsage);
        File.WriteAllText(Path.Combine(folder, "silo.pem"), silo.ExportCertificatePem() + "\n" + silo.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        var certificates = ClusterCertificates.Load(new ClusterTlsOptions { CertificatePath = Path.Combine(folder, "silo.pem"), CaPath = Path.Combine(folder, "ca.pem") }, silo: true);

        Assert.True(certificates.Trusts(Issue(ca, "client", ClusterCertificates.ClientUsage), null, ClusterCertificates.ClientUsage));
        Assert.True(certificates.Trusts(silo, null, ClusterCertificates.ServerUsage));
        Assert.False(certificates.Trusts(Issue(ca, "client", ClusterCertificates.ClientUsage), null, ClusterCertificates.ServerUsage));
        Assert.False(certificates.Trusts(Issue(other, "intruder", ClusterCertificates.ServerUsage, ClusterCertificates.ClientUsage), null, ClusterCertificates.ClientUsage));
        Assert.False(certificates.Trusts(Issue(ca, "any purpose"), null, ClusterCertificates.ClientUsage));
        Assert.False(certificates.Trusts(Issue(ca, "expired", TimeSpan.FromDays(-2), ClusterCertificates.ClientUsage), null, ClusterCertificates.ClientUsage));
    }

    private static ClusteringOptions With(ClusteringOptions options, string? certificate = null, string? ca = null, bool disabled = false) => new()
    {
        Provider = options.Provider,
        AdvertisedAddress = options.AdvertisedAddress,
        Tls = new ClusterTlsOptions { CertificatePath = certificate, CaPath = ca, Disabled = disabled },
    };

    private static X509Certificate2 Authority(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-100), DateTimeOffset.UtcNow.AddYears(1));
    }

    private static X509Certificate2 Issue(X509Certificate2 ca, string name, params string[] usages) => Issue(ca, name, TimeSpan.FromDays(30), usages);

    /// <summary>A leaf signed by <paramref name="ca"/>, valid until now + <paramref name="lifetime"/>, with the private key.</summary>
    private static X509Certificate2 Issue(X509Certificate2 ca, string name, TimeSpan lifetime, params string[] usages)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        if (usages.Length > 0)
        {
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(Oids(usages), false));
        }

        var notAfter = DateTimeOffset.UtcNow + lifetime;
        using var issued = request.Create(ca, notAfter.AddDays(-60), notAfter, RandomNumberGenerator.GetBytes(16));
        return issued.CopyWithPrivateKey(key);
    }

    private static OidCollection Oids(string[] values)
    {
        var oids = new OidCollection();
        foreach (var value in values)
        {
            oids.Add(new Oid(value));
        }

        return oids;
    }
}
