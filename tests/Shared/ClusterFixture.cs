using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.TestingHost;
using QrMahalla.Grains;
using QrMahalla.Grains.Hosting;
using QrMahalla.Grains.Options;
using QrMahalla.Tests;

namespace QrMahalla.Tests;

/// <summary>
/// A TestingHost cluster (two silos unless told) on a real SQLite file, with the File SMS sink and a fake rule
/// clock. Membership timeouts are short so a killed silo is noticed in seconds. Subclasses choose other storage.
/// </summary>
public class ClusterFixture : IAsyncLifetime
{
    public ClusterFixture() : this(2)
    {
    }

    protected ClusterFixture(short silos)
    {
        Folder = TestSettings.NewTempFolder("cluster");
        DatabasePath = Path.Combine(Folder, "grains.db");
        Outbox = new Outbox(Path.Combine(Folder, "sms-outbox.jsonl"));
        Silos = silos;
    }

    /// <summary>An app-store review number configured in every test cluster.</summary>
    public const string TestNumber = "+998909999999";
    public const string TestNumberCode = "424242";

    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    public string Folder { get; }

    public string DatabasePath { get; }

    public Outbox Outbox { get; }

    public short Silos { get; }

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Client;

    public virtual async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(Silos);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSiloHost((_, host) =>
        {
            host.Configuration.AddInMemoryCollection(Settings());
            host.Services.AddSingleton(new RuleClock(Time));
            host.Services.AddQrMahallaDomain(host.Environment);
            host.Services.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(1);
                o.NumMissedProbesLimit = 1;
                o.NumVotesForDeathDeclaration = 1;
                o.TableRefreshTimeout = TimeSpan.FromSeconds(1);
            });
            host.Services.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(10));
        });
        builder.ConfigureSilo((_, silo) =>
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(Settings()).Build();
            silo.AddQrMahallaStorage(configuration);

            // Both writers on the same database, under names of their own, for the storage contract tests.
            var storage = configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new();
            if (storage.Provider != StorageProvider.Memory)
            {
                foreach (var writer in Enum.GetValues<StorageWriter>())
                {
                    silo.AddQrMahallaStorage(WriterStorage(writer),
                        new StorageOptions { Provider = storage.Provider, ConnectionString = storage.ConnectionString, Writer = writer });
                }
            }
        });
        builder.ConfigureClientHost(host => host.Services.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(10)));
        builder.ConfigureClient(ConfigureClient);
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    /// <summary>What a subclass changes in the silos' settings, after all of the above.</summary>
    protected virtual void AdjustSettings(Dictionary<string, string?> settings)
    {
    }

    /// <summary>What a subclass adds to the test client (a pure client of the cluster, as a gateway is).</summary>
    protected virtual void ConfigureClient(IClientBuilder client)
    {
    }

    /// <summary>The name each silo registers one writer under, beside the grains' own storage.</summary>
    public static string WriterStorage(StorageWriter writer) => $"contract-{writer}";

    /// <summary>SIGKILL-style death of the silo that hosts <paramref name="grain"/>; returns that silo's address.</summary>
    public async Task<SiloAddress> KillSiloHostingAsync(IAddressable grain)
    {
        Assert.True(Cluster.TryGetGrainContext(grain.GetGrainId(), out var context), "the grain is not active");
        var host = Cluster.GetSiloForAddress(context.Address.SiloAddress!)!;
        await Cluster.KillSiloAsync(host);
        await Cluster.WaitForLivenessToStabilizeAsync(didKill: true);
        return host.SiloAddress;
    }

    /// <summary>The silo the grain is active on now.</summary>
    public SiloAddress SiloHosting(IAddressable grain)
    {
        Assert.True(Cluster.TryGetGrainContext(grain.GetGrainId(), out var context), "the grain is not active");
        return context.Address.SiloAddress!;
    }

    public virtual async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
    }

    /// <summary>Where grain state goes; SQLite in <see cref="DatabasePath"/> unless a subclass says otherwise.</summary>
    protected virtual Dictionary<string, string?> StorageSettings() => new()
    {
        ["Storage:Provider"] = "Sqlite",
        ["Storage:ConnectionString"] = $"Data Source={DatabasePath};Default Timeout=30",
    };

    private Dictionary<string, string?> Settings()
    {
        var settings = TestSettings.SecretSettings();
        settings["Otp:MaxFailedVerifications"] = TestSettings.FailedVerificationsOutOfTheWay;
        foreach (var (key, value) in StorageSettings())
        {
            settings[key] = value;
        }

        settings["Sms:Provider"] = "File";
        settings[$"Otp:TestNumbers:{TestNumber[1..]}"] = TestNumberCode;
        settings["Sms:FilePath"] = Outbox.Path;
        AdjustSettings(settings);
        return settings;
    }
}

