using System.ComponentModel.DataAnnotations;
using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace QrMahalla.Grains.Options;

public enum ClusterProvider
{
    Localhost,
    PostgreSql,
    SqlServer,
}

/// <summary>Section <c>Cluster</c>: Orleans identities and ports.</summary>
public sealed class ClusteringOptions
{
    public const string Section = "Cluster";

    public ClusterProvider Provider { get; set; } = ClusterProvider.Localhost;

    /// <summary>Membership database; defaults to <c>Storage:ConnectionString</c>.</summary>
    public string? ConnectionString { get; set; }

    [Required] public string ClusterId { get; set; } = "qrmahalla-dev";
    [Required] public string ServiceId { get; set; } = "qrmahalla";
    [Range(1, 65535)] public int SiloPort { get; set; } = 11111;
    [Range(1, 65535)] public int GatewayPort { get; set; } = 30000;
    /// <summary>The localhost cluster's primary silo; unset, this silo's own port (so setting SiloPort alone just works).</summary>
    [Range(1, 65535)] public int? PrimarySiloPort { get; set; }

    public int EffectivePrimarySiloPort => PrimarySiloPort ?? SiloPort;

    /// <summary>How long a silo of a localhost cluster waits for its primary to listen (they may be started together).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan PrimarySiloWait { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long a grain call may take before it fails. Bounds how long a request can hang on a silo that just died;
    /// kept well above <c>Sms:Timeout</c> so a code that still goes out is never answered with a 503.
    /// </summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How often a pure-client gateway re-reads the list of silo gateways from the membership table (one small query):
    /// how soon after a silo is declared dead the gateway stops sending to it, and finds a silo that (re)joined.
    /// </summary>
    public TimeSpan GatewayListRefreshPeriod { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Once a pure-client gateway loses its connection to a silo, how much longer a grain call begun before that still
    /// waits for its answer before the request is answered 503; zero turns this off (such calls then wait out
    /// <see cref="ResponseTimeout"/>). See <c>DepartedSiloCalls</c>.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan DepartureGrace { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The address other silos and clients reach this silo on; loopback unless set.</summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>Section <c>Cluster:Tls</c>: mutual TLS on every connection inside the cluster.</summary>
    public ClusterTlsOptions Tls { get; set; } = new();

    /// <summary>Whether connections inside the cluster can leave this machine (so they need TLS).</summary>
    public bool CrossesMachines(bool silo) =>
        Provider != ClusterProvider.Localhost
        && (!silo || (AdvertisedAddress is { } address && !(IPAddress.TryParse(address, out var ip) && IPAddress.IsLoopback(ip))));
}

/// <summary>
/// Section <c>Cluster:Tls</c>. Each process holds a certificate issued by the cluster's own CA: silos one with the
/// server and client usages, pure clients (gateways, operator commands) one with the client usage only, which the
/// silo port refuses. Host names are not checked: peers connect by address.
/// </summary>
public sealed class ClusterTlsOptions
{
    /// <summary>PEM file with this process's certificate, and its private key unless <see cref="KeyPath"/> is set.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>PEM file with the private key, when it is not in <see cref="CertificatePath"/>.</summary>
    public string? KeyPath { get; set; }

    /// <summary>PEM file with the cluster's CA certificate (two during a CA rotation); only chains to it are trusted.</summary>
    public string? CaPath { get; set; }

    /// <summary>Says the network between the machines is private, so production may run without TLS.</summary>
    public bool Disabled { get; set; }

    /// <summary>Whether any certificate setting is present (checked to be complete by <see cref="ClusterTlsValidator"/>).</summary>
    public bool Requested => CertificatePath is not null || CaPath is not null || KeyPath is not null;

    /// <summary>Whether connections run TLS: both files named, and TLS not switched off.</summary>
    public bool InForce => CertificatePath is not null && CaPath is not null && !Disabled;
}

/// <summary>
/// Outside Development, a cluster whose connections leave the machine runs mutual TLS, or says on purpose that it
/// does not (<c>Cluster:Tls:Disabled=true</c>): otherwise anyone who reaches a silo or gateway port is inside it.
/// </summary>
public sealed class ClusterTlsValidator(IHostEnvironment environment, bool silo) : IValidateOptions<ClusteringOptions>
{
    public ValidateOptionsResult Validate(string? name, ClusteringOptions options)
    {
        var tls = options.Tls;
        if (tls.Requested && tls.Disabled)
        {
            return ValidateOptionsResult.Fail("Cluster:Tls:Disabled=true and a Cluster:Tls certificate are both set; choose one.");
        }

        if (tls.Requested && (tls.CertificatePath is null || tls.CaPath is null))
        {
            return ValidateOptionsResult.Fail("Cluster:Tls needs both CertificatePath (this process's certificate and key) and CaPath (the cluster's CA).");
        }

        if (!tls.Requested && !tls.Disabled && !environment.IsDevelopment() && options.CrossesMachines(silo))
        {
            return ValidateOptionsResult.Fail(silo
                ? $"Cluster:AdvertisedAddress '{options.AdvertisedAddress}' opens the silo and gateway ports to other machines; set Cluster:Tls:CertificatePath and Cluster:Tls:CaPath, or Cluster:Tls:Disabled=true if that network is private."
                : "This client reaches the cluster over the network; set Cluster:Tls:CertificatePath and Cluster:Tls:CaPath, or Cluster:Tls:Disabled=true if that network is private.");
        }

        return ValidateOptionsResult.Success;
    }
}
