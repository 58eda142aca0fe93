using Orleans.Dashboard;
using QrMahalla.Grains.Hosting;
using QrMahalla.Grains.Telemetry;

namespace QrMahalla.Gateway.Hosting;

/// <summary>A silo in this process (the one-command setup), or a client of a cluster of silos elsewhere.</summary>
public static class ClusterConnection
{
    public static WebApplicationBuilder ConnectToCluster(this WebApplicationBuilder builder, HttpGatewayOptions gateway)
    {
        if (gateway.CoHostSilo)
        {
            builder.AddQrMahallaSilo();
        }
        else
        {
            builder.Services.AddSharedDomain();
            builder.UseOrleansClient(client =>
            {
                client.UseQrMahallaClusterClient(builder.Configuration)
                    .UseConnectionRetryFilter(RetryForeverAsync);
                if (TelemetryExtensions.TracingEnabled(builder.Configuration))
                {
                    client.AddActivityPropagation();
                }

                if (QrMahallaSiloExtensions.DashboardEnabled(builder.Services, builder.Configuration))
                {
                    client.AddDashboard();
                }
            });

            // Kestrel starts while the client is still looking for silos, so /health/live answers from the start.
            builder.Services.Configure<HostOptions>(o => o.ServicesStartConcurrently = true);
        }

        return builder;
    }

    /// <summary>A gateway keeps looking for the cluster until it finds one; meanwhile the API answers 503.</summary>
    private static async Task<bool> RetryForeverAsync(Exception exception, CancellationToken cancellationToken)
    {
        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        return !cancellationToken.IsCancellationRequested;
    }
}
