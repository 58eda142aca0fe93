using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace QrMahalla.EndToEnd.Tests;

/// <summary>
/// Certificates made by <c>tools/cluster-certs.sh</c>, as the README tells an operator to: the cluster's CA with two
/// silo certificates and a client certificate, and a second CA that is not the cluster's.
/// </summary>
public sealed class ClusterCertificateFiles
{
    public ClusterCertificateFiles()
    {
        Folder = TestSettings.NewTempFolder("certs");
        Make("ca", Folder);
        Make("silo", Folder, "silo");
        Make("client", Folder, "gateway");
        Make("ca", Other);
        Make("client", Other, "intruder");
        Make("silo", Other, "impostor");
    }

    public string Folder { get; }

    public string Other => Path.Combine(Folder, "other");

    public string Ca => Path.Combine(Folder, "ca.pem");

    public string Pem(string name) => Path.Combine(Folder, $"{name}.pem");

    public static Dictionary<string, string> Settings(string certificate, string ca) => new()
    {
        ["Cluster__Tls__CertificatePath"] = certificate,
        ["Cluster__Tls__CaPath"] = ca,
    };

    private static void Make(params string[] arguments) => RepositoryScript.Run("tools/cluster-certs.sh", arguments);
}

/// <summary>Two silo processes and a pure-client gateway on PostgreSQL clustering, every cluster connection on mutual TLS.</summary>
public sealed class TlsCluster : IAsyncLifetime
{
    public ClusterCertificateFiles Certificates { get; } = new();

    public ProcessCluster Cluster { get; private set; } = null!;

    public HttpClient Gateway { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // Gateways, operator commands and the observer carry the client certificate; silos their own.
        Cluster = await ProcessCluster.CreateAsync("tls", ClusterCertificateFiles.Settings(Certificates.Pem("gateway"), Certificates.Ca));
        foreach (var (key, value) in ClusterCertificateFiles.Settings(Certificates.Pem("silo"), Certificates.Ca))
        {
            Cluster.SiloSettings[key] = value;
        }

        Gateway = await Cluster.StartSteadyAsync(silos: 2, TimeSpan.FromSeconds(90));
    }

    public async Task DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }
    }
}

public sealed class ClusterTlsTests(TlsCluster tls) : IClassFixture<TlsCluster>
{
    private ProcessCluster Cluster => tls.Cluster;

    [Fact]
    public async Task A_login_and_an_operator_command_work_through_a_tls_cluster_of_two_silos_and_a_pure_client_gateway()
    {
        var phone = TestSettings.NewPhone();

        var user = await ClientFlow.LoginAsync(tls.Gateway, Cluster.Outbox, phone, TimeSpan.FromSeconds(60));
        var (exitCode, output) = await Cluster.RunSiloCommandAsync("grant-role", phone, "admin");

        Assert.NotEqual(Guid.Empty, user);
        Assert.True(exitCode == 0, output);
        Assert.Contains($"(user {user}) now has the role 'admin'", output);
        // The audit row names the operator: login, machine, and the subject of the certificate the command connected with.
        await using var connection = new Npgsql.NpgsqlConnection(Cluster.ConnectionString);
        await connection.OpenAsync();
        await using var query = new Npgsql.NpgsqlCommand("SELECT actor FROM qrm_audit WHERE action = 'user.grant_role' AND target = @user", connection);
        query.Parameters.AddWithValue("user", user.ToString());
        var actor = (string?)await query.ExecuteScalarAsync();
        Assert.Equal($"cli:{Environment.UserName}@{Environment.MachineName} (CN=gateway, OU=client)", actor);
    }

    [Fact]
    public async Task An_orleans_client_without_the_clusters_certificate_cannot_call_a_grain()
    {
        var observer = await Cluster.ObserverAsync();
        Assert.True((await observer.GetGrain<IHealthGrain>(0).CheckAsync()).StorageReachable, "the control: a client with the cluster's certificate");

        Assert.False(await CanCallAsync(new() { ["Cluster:Tls:CertificatePath"] = null, ["Cluster:Tls:CaPath"] = null }), "a client with no certificate");
        Assert.False(await CanCallAsync(new()
        {
            ["Cluster:Tls:CertificatePath"] = Path.Combine(tls.Certificates.Other, "intruder.pem"),
            ["Cluster:Tls:CaPath"] = Path.Combine(tls.Certificates.Other, "ca.pem"),
        }), "a client with a certificate from another CA");
    }

    [Fact]
    public async Task The_silo_port_takes_only_silo_certificates_and_the_gateway_port_only_certificates_of_the_cluster()
    {
        var (_, siloPort, gatewayPort) = Cluster.Silos[0];
        var client = Load(tls.Certificates.Pem("gateway"));
        var silo = Load(tls.Certificates.Pem("silo"));
        var intruder = Load(Path.Combine(tls.Certificates.Other, "intruder.pem"));
        var impostor = Load(Path.Combine(tls.Certificates.Other, "impostor.pem"));

        Assert.Equal(Answered, await ProbeAsync(siloPort, silo));
        Assert.Equal(Refused, await ProbeAsync(siloPort, client));
        Assert.Equal(Refused, await ProbeAsync(siloPort, impostor));
        Assert.Equal(Refused, await ProbeAsync(siloPort, null));
        Assert.Equal(Refused, await ProbeAsync(gatewayPort, intruder));
        Assert.Equal(Refused, await ProbeAsync(gatewayPort, null));
    }

    private const string Answered = "answered";
    private const string Refused = "refused";

    private async Task<bool> CanCallAsync(Dictionary<string, string?> overrides)
    {
        using var host = Cluster.NewClient(overrides);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await host.StartAsync(deadline.Token);
            await host.Services.GetRequiredService<IClusterClient>().GetGrain<IHealthGrain>(0).CheckAsync().WaitAsync(deadline.Token);
            return true;
        }
        catch (Exception)
        {
            // A refused handshake fails the start at once (the client does not retry); the deadline only bounds a hang.
            return false;
        }
    }

    private static X509Certificate2 Load(string pem) => X509Certificate2.CreateFromPemFile(pem);

    /// <summary>
    /// A raw TLS connection that shows <paramref name="certificate"/> (or none) and trusts any server. The server
    /// judges the client's certificate once the handshake is done: a refusal closes the connection at once, while a silo
    /// that accepts a peer sends its Orleans preamble unasked. So: <see cref="Refused"/> or <see cref="Answered"/>.
    /// </summary>
    private static async Task<string> ProbeAsync(int port, X509Certificate2? certificate)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        await using var stream = new SslStream(tcp.GetStream());
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await stream.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "qrmahalla",
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
                LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate!,
            }, deadline.Token);
            return await stream.ReadAsync(new byte[64], deadline.Token) > 0 ? Answered : Refused;
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            return Refused;
        }
    }
}

/// <summary>A certificate that does not fit the process's role stops it at start with one sentence.</summary>
public sealed class ClusterCertificateRoleTests(ClusterCertificateFiles certificates) : IClassFixture<ClusterCertificateFiles>
{
    [Theory]
    [InlineData("Silo", "gateway", "has no server usage (serverAuth), so other silos would refuse it")]
    [InlineData("Gateway", "silo", "has the server usage (serverAuth) of a silo certificate; give clients a certificate with the client usage only")]
    public async Task A_process_given_the_other_roles_certificate_refuses_to_start(string project, string certificate, string sentence)
    {
        var environment = ClusterCertificateFiles.Settings(certificates.Pem(certificate), certificates.Ca);
        environment["DOTNET_ENVIRONMENT"] = environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        environment["Cluster__Provider"] = "PostgreSql";
        environment["Gateway__CoHostSilo"] = "false";
        environment["Urls"] = $"http://127.0.0.1:{TestSettings.FreePort()}";

        await using var process = ServiceProcess.Start(project, project.ToLowerInvariant(), environment, TestSettings.NewTempFolder("cert-role"));

        Assert.True(await process.WaitForExitAsync(TimeSpan.FromSeconds(60)), $"the {project} kept running");
        Assert.Equal(1, process.ExitCode);
        Assert.Contains(sentence, process.Output());
        Assert.DoesNotContain("   at ", process.Output());
    }
}
