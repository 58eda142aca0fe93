using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Runtime;
using QrMahalla.Grains.Hosting;
using Microsoft.Extensions.Configuration;

namespace QrMahalla.EndToEnd.Tests;

/// <summary>
/// Silo and gateway processes sharing one PostgreSQL database for grain storage and membership, as an operator
/// deploys them on one machine. Membership probes are shortened so a killed silo is declared dead in seconds.
/// </summary>
public sealed class ProcessCluster : IAsyncDisposable
{
    private readonly List<ServiceProcess> processes = [];
    private readonly Dictionary<string, string> environment;
    private IHost? observer;

    private ProcessCluster(string connectionString, string folder, Dictionary<string, string>? settings)
    {
        ConnectionString = connectionString;
        Folder = folder;
        Outbox = new Outbox(Path.Combine(folder, "sms-outbox.jsonl"));
        environment = new Dictionary<string, string>
        {
            ["DOTNET_ENVIRONMENT"] = "Development",
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Storage__Provider"] = "PostgreSql",
            ["Storage__ConnectionString"] = connectionString,
            ["Cluster__Provider"] = "PostgreSql",
            ["Cluster__ClusterId"] = $"e2e-{Guid.NewGuid():N}",
            ["Cluster__ServiceId"] = "qrmahalla-e2e",
            ["Cluster__Membership__ProbeTimeout"] = "00:00:02",
            ["Cluster__Membership__NumMissedProbesLimit"] = "2",
            ["Cluster__Membership__TableRefreshTimeout"] = "00:00:02",
            ["Cluster__Membership__IAmAliveTablePublishTimeout"] = "00:00:05",
            // Gateways learn of a new silo within a second, so the silo that dies is never their only one.
            ["Cluster__GatewayListRefreshPeriod"] = "00:00:01",
            ["Sms__Provider"] = "File",
            ["Sms__FilePath"] = Outbox.Path,
            // Logging in the same phones again right after the kill needs a short resend cooldown.
            ["Otp__ResendCooldown"] = "00:00:01",
            ["Otp__MaxSendsPerHour"] = "100",
            // Twenty phones log in from this one address; the per-address limits have a test of their own.
            ["RateLimiting__SendPerIpPerMinute"] = "0",
            ["RateLimiting__VerifyPerIpPerMinute"] = "0",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__Console__TimestampFormat"] = "HH:mm:ss.fff ",
        };
        foreach (var (key, value) in TestSettings.SecretSettings())
        {
            environment[key.Replace(":", "__")] = value!;
        }

        foreach (var (key, value) in settings ?? [])
        {
            environment[key] = value;
        }
    }

    public string ConnectionString { get; }

    public string Folder { get; }

    public Outbox Outbox { get; }

    public List<(ServiceProcess Process, int SiloPort, int GatewayPort)> Silos { get; } = [];

    public List<(ServiceProcess Process, HttpClient Http)> Gateways { get; } = [];

    /// <summary>A cluster on a database of its own; <paramref name="settings"/> are extra environment variables.</summary>
    public static async Task<ProcessCluster> CreateAsync(string purpose, Dictionary<string, string>? settings = null) =>
        new(await PostgresServer.CreateDatabaseAsync(purpose), TestSettings.NewTempFolder(purpose), settings);

    /// <summary>Silo processes take <see cref="SiloSettings"/> over the cluster's settings (their own certificate, say).</summary>
    public Dictionary<string, string> SiloSettings { get; } = [];

    /// <summary>
    /// A cluster whose processes run on network hosts (<see cref="NetworkHosts"/>) and reach its database over their
    /// bridge; the test still queries it on loopback.
    /// </summary>
    public static async Task<ProcessCluster> CreateOnHostsAsync(NetworkHosts hosts, string purpose, Dictionary<string, string>? settings = null)
    {
        var connectionString = await PostgresServer.CreateDatabaseAsync(hosts.PostgresConnectionString, purpose);
        var cluster = new ProcessCluster(connectionString, TestSettings.NewTempFolder(purpose), settings);
        cluster.environment["Storage__ConnectionString"] = NetworkHosts.FromHosts(connectionString);
        return cluster;
    }

    /// <summary>A silo on network host <paramref name="host"/>, advertising that host's address, on the standard ports.</summary>
    public ServiceProcess StartSiloOnHost(int host)
    {
        var process = Start("Silo", $"silo-host-{host}", new(SiloSettings)
        {
            ["Cluster__AdvertisedAddress"] = NetworkHosts.Address(host),
            ["Cluster__SiloPort"] = "11111",
            ["Cluster__GatewayPort"] = "30000",
        }, host: host);
        Silos.Add((process, 11111, 30000));
        return process;
    }

    /// <summary>A pure-client gateway on network host <paramref name="host"/>, serving HTTP on that host's address.</summary>
    public HttpClient StartGatewayOnHost(int host)
    {
        var url = $"http://{NetworkHosts.Address(host)}:5080";
        var process = Start("Gateway", $"gateway-host-{host}", new()
        {
            ["Gateway__CoHostSilo"] = "false",
            ["Urls"] = url,
        }, host: host);
        var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(40) };
        Gateways.Add((process, http));
        return http;
    }

    public ServiceProcess StartSilo()
    {
        var siloPort = TestSettings.FreePort();
        var gatewayPort = TestSettings.FreePort();
        var process = Start("Silo", $"silo-{Silos.Count + 1}", new(SiloSettings)
        {
            ["Cluster__SiloPort"] = siloPort.ToString(),
            ["Cluster__GatewayPort"] = gatewayPort.ToString(),
        });
        Silos.Add((process, siloPort, gatewayPort));
        return process;
    }

    public HttpClient StartGateway()
    {
        var port = TestSettings.FreePort();
        var process = Start("Gateway", $"gateway-{Gateways.Count + 1}", new()
        {
            ["Gateway__CoHostSilo"] = "false",
            ["Urls"] = $"http://127.0.0.1:{port}",
        });
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(40) };
        Gateways.Add((process, http));
        return http;
    }

    /// <summary>
    /// A steady cluster: the silos are active in the membership table before the gateway reads it, so no silo that
    /// later dies is the only one a gateway knows.
    /// </summary>
    public async Task<HttpClient> StartSteadyAsync(int silos, TimeSpan deadline)
    {
        for (var i = 0; i < silos; i++)
        {
            StartSilo();
        }

        await Wait.UntilAsync(async () => await ActiveSilosAsync() == silos ? "all" : null, deadline, $"{silos} active silos");
        var gateway = StartGateway();
        await WaitUntilReadyAsync(gateway, deadline);
        return gateway;
    }

    public static Task WaitUntilReadyAsync(HttpClient gateway, TimeSpan deadline) =>
        Wait.UntilAsync(async () =>
        {
            try
            {
                var response = await gateway.GetAsync("/health/ready");
                return response.StatusCode == HttpStatusCode.OK ? response : null;
            }
            catch (HttpRequestException)
            {
                return null;
            }
        }, deadline, "the gateway to report the cluster ready");

    /// <summary>Silos the membership table lists as active (none before the first silo has applied the schema).</summary>
    public async Task<long> ActiveSilosAsync()
    {
        try
        {
            return await PostgresServer.ScalarAsync(ConnectionString, "SELECT COUNT(*) FROM qrm_membership WHERE status = 3");
        }
        catch (Npgsql.PostgresException)
        {
            return 0;
        }
    }

    /// <summary>An Orleans client of the same cluster, for what only the runtime knows: where each grain lives.</summary>
    public async Task<IClusterClient> ObserverAsync()
    {
        if (observer is null)
        {
            observer = NewClient();
            await observer.StartAsync();
        }

        return observer.Services.GetRequiredService<IClusterClient>();
    }

    /// <summary>
    /// An Orleans client host (not started) with the cluster's settings, <paramref name="overrides"/> on top (null
    /// removes one); its start fails at the first connection refused.
    /// </summary>
    public IHost NewClient(Dictionary<string, string?>? overrides = null)
    {
        var settings = environment.ToDictionary(e => e.Key.Replace("__", ":"), e => (string?)e.Value);
        foreach (var (key, value) in overrides ?? [])
        {
            settings[key] = value;
        }

        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings.Where(s => s.Value is not null));
        // No retries: a client that cannot connect says so at once (the gateway process retries; a test should not).
        builder.UseOrleansClient(client => client.UseQrMahallaClusterClient(builder.Configuration)
            .UseConnectionRetryFilter((_, _) => Task.FromResult(false)));
        return builder.Build();
    }

    /// <summary>The silo port each phone's grain is active on.</summary>
    public async Task<Dictionary<string, int>> PhoneGrainPortsAsync()
    {
        var client = await ObserverAsync();
        var statistics = await client.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
        return statistics
            .Where(s => s.GrainId.Type.ToString() is { } type && type.Contains("phone", StringComparison.OrdinalIgnoreCase))
            .ToDictionary(s => s.GrainId.Key.ToString()!, s => s.SiloAddress.Endpoint.Port);
    }

    public async ValueTask DisposeAsync()
    {
        if (observer is not null)
        {
            try
            {
                await observer.StopAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception)
            {
                // The cluster may already be gone; the observer has nothing left to say goodbye to.
            }

            observer.Dispose();
        }

        foreach (var (_, http) in Gateways)
        {
            http.Dispose();
        }

        foreach (var process in processes)
        {
            await process.DisposeAsync();
        }
    }

    /// <summary>Runs an operator command of the silo executable against this cluster; its exit code and output.</summary>
    public async Task<(int ExitCode, string Output)> RunSiloCommandAsync(params string[] arguments)
    {
        var process = Start("Silo", $"command-{processes.Count + 1}", [], arguments);
        Assert.True(await process.WaitForExitAsync(TimeSpan.FromSeconds(120)), $"{string.Join(' ', arguments)} kept running");
        return (process.ExitCode, process.Output());
    }

    private ServiceProcess Start(string project, string name, Dictionary<string, string> extra, string[]? arguments = null, int? host = null)
    {
        var env = new Dictionary<string, string>(environment);
        foreach (var (key, value) in extra)
        {
            env[key] = value;
        }

        var process = host is { } on
            ? ServiceProcess.StartInHost(NetworkHosts.Name(on), project, name, env, Folder)
            : ServiceProcess.Start(project, name, env, Folder, arguments ?? []);
        processes.Add(process);
        return process;
    }
}
