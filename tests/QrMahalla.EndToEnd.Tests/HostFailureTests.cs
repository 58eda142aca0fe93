using System.Diagnostics;

namespace QrMahalla.EndToEnd.Tests;

/// <summary>
/// Two silos and a gateway, each on a network host of its own with its own address (not 127.0.0.1 with different
/// ports), every cluster connection on mutual TLS: what breaks first on real machines is advertised addresses, TLS
/// between them and hosts that vanish. The short drill CI runs; the full drills under load are <c>bench/host-drills.sh</c>.
/// </summary>
public sealed class HostFailureTests(NetworkHosts hosts, ClusterCertificateFiles certificates, ITestOutputHelper output)
    : IClassFixture<NetworkHosts>, IClassFixture<ClusterCertificateFiles>
{
    [Fact]
    public async Task Logins_over_cluster_tls_come_back_when_a_silo_host_vanishes_and_no_user_is_lost_or_doubled()
    {
        await using var cluster = await ProcessCluster.CreateOnHostsAsync(hosts, "hosts",
            ClusterCertificateFiles.Settings(certificates.Pem("gateway"), certificates.Ca));
        foreach (var (key, value) in ClusterCertificateFiles.Settings(certificates.Pem("silo"), certificates.Ca))
        {
            cluster.SiloSettings[key] = value;
        }

        cluster.StartSiloOnHost(1);
        cluster.StartSiloOnHost(2);
        await Wait.UntilAsync(async () => await cluster.ActiveSilosAsync() == 2 ? "both" : null, TimeSpan.FromSeconds(90), "two active silos");
        var gateway = cluster.StartGatewayOnHost(3);
        await ProcessCluster.WaitUntilReadyAsync(gateway, TimeSpan.FromSeconds(90));
        var phones = Enumerable.Range(0, 10).Select(_ => TestSettings.NewPhone()).ToList();
        var users = new Dictionary<string, Guid>();
        foreach (var phone in phones)
        {
            users[phone] = await ClientFlow.LoginAsync(gateway, cluster.Outbox, phone, TimeSpan.FromSeconds(30));
        }

        var clock = Stopwatch.StartNew();
        NetworkHosts.Vanish(1);
        var again = new Dictionary<string, Guid>();
        foreach (var phone in phones)
        {
            again[phone] = await ClientFlow.LoginAsync(gateway, cluster.Outbox, phone, TimeSpan.FromSeconds(90));
        }

        var allBack = clock.Elapsed;
        output.WriteLine($"Host 1 vanished; all 10 phones logged in again {allBack.TotalSeconds:0.0} s later.");
        await Measurements.AppendAsync($"host-vanished->all-10-logged-in {allBack.TotalSeconds:0.0}s");
        Assert.Equal(users, again);
        Assert.Equal(10, await PostgresServer.ScalarAsync(cluster.ConnectionString,
            "SELECT COUNT(*) FROM qrm_grain_state WHERE state_name = 'binding'"));
        Assert.Equal(10, await PostgresServer.ScalarAsync(cluster.ConnectionString,
            "SELECT COUNT(DISTINCT convert_from(payload, 'UTF8')::jsonb->>'phone') FROM qrm_grain_state WHERE state_name = 'user' AND payload IS NOT NULL"));
        Assert.Equal(10, await PostgresServer.ScalarAsync(cluster.ConnectionString,
            "SELECT COUNT(*) FROM qrm_grain_state WHERE state_name = 'user' AND payload IS NOT NULL"));
        Assert.Contains(NetworkHosts.Address(2), await MembershipAddressesAsync(cluster));
    }

    /// <summary>The addresses the silos advertised in the membership table.</summary>
    private static async Task<string> MembershipAddressesAsync(ProcessCluster cluster)
    {
        await using var connection = new Npgsql.NpgsqlConnection(cluster.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT string_agg(address, ',') FROM qrm_membership", connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }
}
