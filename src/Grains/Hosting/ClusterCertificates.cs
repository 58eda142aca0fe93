using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using QrMahalla.Grains.Options;

namespace QrMahalla.Grains.Hosting;

/// <summary>
/// This process's cluster certificate and the cluster's CA. A peer is trusted when its chain builds to that CA and
/// its certificate carries the usage its port needs: the silo port takes only silo certificates (server and client
/// usage), the gateway port any certificate with the client usage. A client's certificate has no server usage, so it
/// can call grains through a gateway but never join as a silo.
/// </summary>
public sealed class ClusterCertificates
{
    public const string ServerUsage = "1.3.6.1.5.5.7.3.1";
    public const string ClientUsage = "1.3.6.1.5.5.7.3.2";

    private ClusterCertificates(X509Certificate2 own, X509Certificate2Collection authorities)
    {
        Own = own;
        Authorities = authorities;
    }

    public X509Certificate2 Own { get; }

    public X509Certificate2Collection Authorities { get; }

    /// <summary>Loads and checks the files; a problem is one sentence naming the setting.</summary>
    public static ClusterCertificates Load(ClusterTlsOptions tls, bool silo)
    {
        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPemFile(tls.CaPath!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new InvalidOperationException($"Cluster:Tls:CaPath '{tls.CaPath}' cannot be read as PEM certificates: {e.Message}", e);
        }

        if (authorities.Count == 0)
        {
            throw new InvalidOperationException($"Cluster:Tls:CaPath '{tls.CaPath}' holds no certificate.");
        }

        X509Certificate2 own;
        try
        {
            own = X509Certificate2.CreateFromPemFile(tls.CertificatePath!, tls.KeyPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new InvalidOperationException($"Cluster:Tls:CertificatePath '{tls.CertificatePath}' cannot be read as a PEM certificate with its private key: {e.Message}", e);
        }

        var certificates = new ClusterCertificates(own, authorities);
        if (!certificates.Trusts(own, presented: null, ClientUsage))
        {
            throw new InvalidOperationException($"Cluster:Tls:CertificatePath '{tls.CertificatePath}' is not a current certificate with the client usage issued by the CA in Cluster:Tls:CaPath.");
        }

        if (silo != HasUsage(own, ServerUsage))
        {
            throw new InvalidOperationException(silo
                ? $"Cluster:Tls:CertificatePath '{tls.CertificatePath}' has no server usage (serverAuth), so other silos would refuse it; a silo needs a silo certificate."
                : $"Cluster:Tls:CertificatePath '{tls.CertificatePath}' has the server usage (serverAuth) of a silo certificate; give clients a certificate with the client usage only, so one that leaks cannot join as a silo.");
        }

        return certificates;
    }

    /// <summary>Whether <paramref name="peer"/> chains to the cluster's CA, is valid now and carries <paramref name="usage"/>.</summary>
    public bool Trusts(X509Certificate2 peer, X509Chain? presented, string usage)
    {
        if (!HasUsage(peer, usage))
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(Authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        return chain.Build(peer);
    }

    /// <summary>
    /// Whether the certificate names <paramref name="usage"/> in its extended key usage. A certificate without that
    /// extension is valid for every purpose to a chain check, so it is refused here: every cluster certificate says what it is.
    /// </summary>
    public static bool HasUsage(X509Certificate2 certificate, string usage) =>
        certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>()
            .Any(extension => extension.EnhancedKeyUsages.Cast<Oid>().Any(oid => oid.Value == usage));
}
