using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using QrMahalla.Grains.Hosting;

namespace QrMahalla.Cluster.Tests;

/// <summary>The membership values a silo runs with, read from a built (never started) silo host.</summary>
public sealed class MembershipSettingsTests
{
    [Fact]
    public void A_silo_runs_the_lan_values_and_the_probe_ceiling_equals_the_probe_timeout()
    {
        var membership = Membership([]);

        Assert.Equal(
            (TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), 3, TimeSpan.FromSeconds(5)),
            (membership.ProbeTimeout, membership.MaxProbeTimeout, membership.NumMissedProbesLimit, membership.TableRefreshTimeout));
    }

    [Fact]
    public void The_probe_ceiling_follows_a_configured_probe_timeout_unless_it_is_configured_itself()
    {
        // Orleans refuses to start a silo whose probe timeout lies above the ceiling.
        Assert.Equal(TimeSpan.FromSeconds(2), Membership(new() { ["Cluster:Membership:ProbeTimeout"] = "00:00:02" }).MaxProbeTimeout);
        Assert.Equal(TimeSpan.FromSeconds(8), Membership(new()
        {
            ["Cluster:Membership:ProbeTimeout"] = "00:00:02",
            ["Cluster:Membership:MaxProbeTimeout"] = "00:00:08",
        }).MaxProbeTimeout);
    }

    private static ClusterMembershipOptions Membership(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.UseOrleans(silo => silo.UseQrMahallaClustering(builder.Configuration));
        using var host = builder.Build();
        return host.Services.GetRequiredService<IOptions<ClusterMembershipOptions>>().Value;
    }
}
