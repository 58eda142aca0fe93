using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using QrMahalla.Grains.Hosting;
using QrMahalla.Grains.Options;

namespace QrMahalla.Unit.Tests;

/// <summary>Options the Orleans wiring reads before the container exists are the ones the container serves.</summary>
public sealed class EarlyOptionsTests
{
    [Fact]
    public void The_wiring_and_IOptions_see_one_instance_bound_once()
    {
        var (services, configuration) = Container(("Storage:Batch:InFlight", "3"), ("Cluster:ClusterId", "blue"));

        var storage = EarlyOptions.Bind<StorageOptions>(services, configuration, StorageOptions.Section);
        var cluster = EarlyOptions.Bind<ClusteringOptions>(services, configuration, ClusteringOptions.Section);
        using var provider = services.BuildServiceProvider();

        Assert.Same(storage, EarlyOptions.Bind<StorageOptions>(services, configuration, StorageOptions.Section));
        Assert.Same(storage, provider.GetRequiredService<IOptions<StorageOptions>>().Value);
        Assert.Same(cluster, provider.GetRequiredService<IOptions<ClusteringOptions>>().Value);
        Assert.Equal((3, "blue"), (storage.Batch.InFlight, cluster.ClusterId));
    }

    [Fact]
    public void An_early_option_is_held_to_the_same_validators_as_any_other()
    {
        var (services, configuration) = Container(("Storage:Batch:InFlight", "0"));

        EarlyOptions.Bind<StorageOptions>(services, configuration, StorageOptions.Section);
        using var provider = services.BuildServiceProvider();

        var refused = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<StorageOptions>>().Value);
        Assert.Contains("Storage:Batch:InFlight must be between 1 and 64.", refused.Message);
    }

    private static (ServiceCollection Services, IConfiguration Configuration) Container(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddSharedDomain();
        return (services, configuration);
    }
}
