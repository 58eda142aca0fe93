using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using QrMahalla.Grains.Admin;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Secrets;
using QrMahalla.Grains.Sms;
using QrMahalla.Grains.Storage;

namespace QrMahalla.Grains.Hosting;

/// <summary>
/// Fails start-up, before Orleans starts, on missing secrets, a bad SMS choice or unusable storage. The executables
/// run it before starting the host (so a failure is one sentence, not a host error with a stack trace); as a hosted
/// service it also guards hosts that start directly, such as test clusters. It runs once.
/// </summary>
public sealed class SiloStartupCheck(
    IServiceProvider services, IOptions<StorageOptions> storage, IOptions<ClusteringOptions> cluster) : IHostedService
{
    private readonly SemaphoreSlim once = new(1, 1);
    private bool done;

    public static Task RunAsync(IServiceProvider services, CancellationToken cancellationToken = default)
    {
        // Options first: a bad setting stops the process here with one sentence, before the host would log it.
        services.GetService<IStartupValidator>()?.Validate();
        return services.GetRequiredService<SiloStartupCheck>().StartAsync(cancellationToken);
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await once.WaitAsync(cancellationToken);
        try
        {
            if (!done)
            {
                await CheckAsync(cancellationToken);
                done = true;
            }
        }
        finally
        {
            once.Release();
        }
    }

    private async Task CheckAsync(CancellationToken cancellationToken)
    {
        _ = services.GetRequiredService<AuthSecrets>();
        _ = services.GetRequiredService<ISmsSender>();
        _ = services.GetRequiredService<AdminPhones>();
        if (storage.Value.ApplySchema)
        {
            SchemaInstaller.Apply(storage.Value, cluster.Value);
        }
        else if (await services.GetRequiredService<StorageProbe>().CheckAsync(cancellationToken) is { } problem)
        {
            throw new InvalidOperationException($"Storage:ConnectionString: {problem}; check it, or apply the schema with QrMahalla.Silo migrate.");
        }

        await CheckPrimaryAsync(cluster.Value, cancellationToken);
    }

    /// <summary>
    /// A silo of a localhost cluster that is not the primary joins through the primary's silo port; with nobody there
    /// Orleans would retry for minutes and then fail with a stack trace, so it stops here with one sentence.
    /// </summary>
    private static async Task CheckPrimaryAsync(ClusteringOptions cluster, CancellationToken cancellationToken)
    {
        var primary = cluster.EffectivePrimarySiloPort;
        if (cluster.Provider != ClusterProvider.Localhost || primary == cluster.SiloPort)
        {
            return;
        }

        var deadline = DateTime.UtcNow + cluster.PrimarySiloWait;
        while (true)
        {
            try
            {
                using var probe = new System.Net.Sockets.TcpClient();
                await probe.ConnectAsync(System.Net.IPAddress.Loopback, primary, cancellationToken);
                return;
            }
            catch (System.Net.Sockets.SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
            }
            catch (System.Net.Sockets.SocketException)
            {
                throw new InvalidOperationException(
                    $"Cluster:PrimarySiloPort {primary}: no silo listens on 127.0.0.1:{primary} after {cluster.PrimarySiloWait.TotalSeconds:0} s (Cluster:PrimarySiloWait); start the primary silo first, or leave Cluster:PrimarySiloPort unset to make this silo the primary.");
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
