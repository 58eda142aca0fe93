using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Connections.Security;
using QrMahalla.Grains.Options;

namespace QrMahalla.Grains.Hosting;

/// <summary>
/// Mutual TLS on every connection inside the cluster (<c>Cluster:Tls</c>): silo to silo, and client to silo gateway.
/// Off unless configured; outside Development a cluster that crosses machines must configure it or say it is off.
/// </summary>
public static class ClusterTlsHosting
{
    /// <summary>Silo port: only other silos. Gateway port: any cluster certificate with the client usage. Outbound: silos.</summary>
    public static ISiloBuilder UseQrMahallaTls(this ISiloBuilder silo, ClusteringOptions cluster)
    {
        var certificates = cluster.Tls.InForce ? ClusterCertificates.Load(cluster.Tls, silo: true) : null;
        AddChecks(silo.Services, cluster.Tls, certificates, isSilo: true);
        if (certificates is null)
        {
            return silo;
        }

        var fromSilos = Server(certificates, ClusterCertificates.ServerUsage);
        var fromClients = Server(certificates, ClusterCertificates.ClientUsage);
        var toSilos = Client(certificates);
        return silo.Configure<SiloConnectionOptions>(o =>
        {
            o.ConfigureSiloInboundConnection(connection => connection.UseServerTls(fromSilos));
            o.ConfigureGatewayInboundConnection(connection => connection.UseServerTls(fromClients));
            o.ConfigureSiloOutboundConnection(connection => connection.UseClientTls(toSilos));
        });
    }

    /// <summary>A pure client (a gateway that hosts no silo, an operator command) shows its client certificate to a silo.</summary>
    public static IClientBuilder UseQrMahallaTls(this IClientBuilder client, ClusteringOptions cluster)
    {
        var certificates = cluster.Tls.InForce ? ClusterCertificates.Load(cluster.Tls, silo: false) : null;
        AddChecks(client.Services, cluster.Tls, certificates, isSilo: false);
        if (certificates is null)
        {
            return client;
        }

        var toSilos = Client(certificates);
        return client.Configure<ClientConnectionOptions>(o => o.ConfigureConnection(connection => connection.UseClientTls(toSilos)));
    }

    private static void AddChecks(IServiceCollection services, ClusterTlsOptions tls, ClusterCertificates? certificates, bool isSilo)
    {
        if (services.Any(d => d.ServiceType == typeof(ClusterTlsNotice)))
        {
            return;
        }

        services.AddSingleton<IValidateOptions<ClusteringOptions>>(sp => new ClusterTlsValidator(sp.GetRequiredService<IHostEnvironment>(), isSilo));
        services.AddSingleton(sp => new ClusterTlsNotice(tls.Disabled, certificates?.Own, sp.GetRequiredService<ILogger<ClusterTlsNotice>>()));
        services.AddHostedService(sp => sp.GetRequiredService<ClusterTlsNotice>());
    }

    private static TlsOptions Server(ClusterCertificates certificates, string peerUsage) => new()
    {
        LocalCertificate = certificates.Own,
        RemoteCertificateMode = RemoteCertificateMode.RequireCertificate,
        RemoteCertificateValidation = (peer, chain, _) => certificates.Trusts(peer, chain, peerUsage),
    };

    private static TlsOptions Client(ClusterCertificates certificates) => new()
    {
        LocalCertificate = certificates.Own,
        ClientCertificateMode = RemoteCertificateMode.RequireCertificate,
        RemoteCertificateMode = RemoteCertificateMode.RequireCertificate,
        RemoteCertificateValidation = (peer, chain, _) => certificates.Trusts(peer, chain, ClusterCertificates.ServerUsage),
    };

    /// <summary>Says at every start whether the cluster's connections are protected, and until when.</summary>
    private sealed class ClusterTlsNotice(bool disabled, X509Certificate2? own, ILogger<ClusterTlsNotice> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (disabled)
            {
                logger.LogWarning("Cluster TLS is off (Cluster:Tls:Disabled=true): anyone who reaches the silo and gateway ports is inside the cluster; keep that network private.");
            }
            else if (own is not null)
            {
                logger.LogInformation("Cluster TLS on: certificate {Subject} ({Thumbprint}) expires {NotAfter:u}.", own.Subject, own.Thumbprint, own.NotAfter.ToUniversalTime());
            }

            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
