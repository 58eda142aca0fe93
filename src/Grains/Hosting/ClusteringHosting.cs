using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Storage;

namespace QrMahalla.Grains.Hosting;

/// <summary>How silos find each other and how a pure client finds the silos.</summary>
public static class ClusteringHosting
{
    public const string MembershipSection = "Cluster:Membership";

    /// <summary>Localhost clustering for one machine, or the ADO.NET membership table on PostgreSQL / SQL Server.</summary>
    public static ISiloBuilder UseQrMahallaClustering(this ISiloBuilder silo, IConfiguration configuration)
    {
        var (cluster, storage) = Read(silo.Services, configuration);
        silo.Services.Configure<ClusterMembershipOptions>(ForOneNetwork);
        silo.Services.Configure<ClusterMembershipOptions>(configuration.GetSection(MembershipSection));
        if (configuration.GetSection(MembershipSection)[nameof(ClusterMembershipOptions.MaxProbeTimeout)] is null)
        {
            // The ceiling follows the probe timeout, whichever value that has (see ForOneNetwork), unless set itself.
            silo.Services.PostConfigure<ClusterMembershipOptions>(o => o.MaxProbeTimeout = o.ProbeTimeout);
        }

        silo.Services.Configure<GrainCollectionOptions>(configuration.GetSection("Cluster:GrainCollection"));
        silo.Services.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = cluster.ResponseTimeout);
        silo.UseQrMahallaTls(cluster);
        if (cluster.Provider == ClusterProvider.Localhost)
        {
            return silo.UseLocalhostClustering(
                cluster.SiloPort,
                cluster.GatewayPort,
                new IPEndPoint(IPAddress.Loopback, cluster.EffectivePrimarySiloPort),
                cluster.ServiceId,
                cluster.ClusterId);
        }

        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = cluster.ClusterId;
            o.ServiceId = cluster.ServiceId;
        });
        silo.ConfigureEndpoints(AdvertisedAddress(cluster), cluster.SiloPort, cluster.GatewayPort, listenOnAnyHostAddress: cluster.AdvertisedAddress is not null);
        return silo.UseAdoNetClustering(o =>
        {
            o.Invariant = StorageDatabase.Invariant(StorageDatabase.Engine(cluster.Provider));
            o.ConnectionString = cluster.ConnectionString ?? storage.ConnectionString;
        });
    }

    /// <summary>How a pure client (a gateway that hosts no silo) finds the cluster.</summary>
    public static IClientBuilder UseQrMahallaClusterClient(this IClientBuilder client, IConfiguration configuration)
    {
        var (cluster, storage) = Read(client.Services, configuration);
        client.Services.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = cluster.ResponseTimeout);
        client.UseQrMahallaTls(cluster);

        // A gateway must know every silo's gateway before one dies, or it has nowhere to fail over to.
        client.Services.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = cluster.GatewayListRefreshPeriod);
        client.AddDepartedSiloCalls(cluster.DepartureGrace);
        if (cluster.Provider == ClusterProvider.Localhost)
        {
            return client.UseLocalhostClustering(cluster.GatewayPort, cluster.ServiceId, cluster.ClusterId);
        }

        client.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = cluster.ClusterId;
            o.ServiceId = cluster.ServiceId;
        });
        return client.UseAdoNetClustering(o =>
        {
            o.Invariant = StorageDatabase.Invariant(StorageDatabase.Engine(cluster.Provider));
            o.ConnectionString = cluster.ConnectionString ?? storage.ConnectionString;
        });
    }

    /// <summary>
    /// Membership for silos on one LAN (or one machine), where Orleans' defaults are set for clouds: the measured
    /// figures are in bench/RESULTS.md ("Host drills"); <c>Cluster:Membership:*</c> overrides each value.
    /// </summary>
    public static void ForOneNetwork(ClusterMembershipOptions membership)
    {
        // A probe is one round trip on the LAN (well under a millisecond) plus the peer's pauses (GC pauses measured
        // up to 0.1 s on two busy cores). Orleans adapts the effective timeout between half and four times this from
        // the answers it sees, and stretches it further while this silo itself is degraded, so a slow prober does not
        // condemn a live peer. 5 s (the default) let a vanished host go unnoticed for a minute on two busy cores.
        membership.ProbeTimeout = TimeSpan.FromSeconds(1);
        // MaxProbeTimeout, the ceiling of that adaptation and of the stretch, is set equal to ProbeTimeout (after
        // configuration, unless configured itself): it is also how long a peer that sent any message recently is spared
        // a vote (Orleans' connection liveness check: the ceiling times the missed-probe limit). Left at four times the
        // probe timeout, a host that vanished under load was voted dead only 12 s after its last message. Under load a
        // live peer keeps sending messages, which keeps it spared; idle, its probes are answered within milliseconds.
        // Three probes in a row missed (the default): one lost probe, or one long pause, never condemns a silo.
        membership.NumMissedProbesLimit = 3;
        // Silos re-read the table every 5 s besides gossip (default 60 s), so every silo learns of a death soon even
        // when the gossip from the silo that declared it is lost.
        membership.TableRefreshTimeout = TimeSpan.FromSeconds(5);
    }

    private static (ClusteringOptions Cluster, StorageOptions Storage) Read(IServiceCollection services, IConfiguration configuration) =>
        (EarlyOptions.Bind<ClusteringOptions>(services, configuration, ClusteringOptions.Section),
         EarlyOptions.Bind<StorageOptions>(services, configuration, StorageOptions.Section));

    private static IPAddress AdvertisedAddress(ClusteringOptions cluster)
    {
        if (cluster.AdvertisedAddress is null)
        {
            return IPAddress.Loopback;
        }

        return IPAddress.TryParse(cluster.AdvertisedAddress, out var address)
            ? address
            : throw new InvalidOperationException($"Cluster:AdvertisedAddress '{cluster.AdvertisedAddress}' is not an IP address.");
    }
}
