using Orleans.Concurrency;
using QrMahalla.Grains.Storage;

namespace QrMahalla.Grains.Hosting;

/// <summary>Readiness from inside the cluster: this silo answers and its grain storage is reachable.</summary>
[StatelessWorker]
public sealed class HealthGrain(StorageProbe probe, ILocalSiloDetails silo) : Grain, IHealthGrain
{
    public async Task<HealthReport> CheckAsync()
    {
        var problem = await probe.CheckAsync();
        return new HealthReport(problem is null, silo.SiloAddress.ToString(), problem);
    }
}
