using Microsoft.Extensions.Configuration;
using Orleans.Runtime.Hosting;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Storage;
using QrMahalla.Grains.Storage.Batching;

namespace QrMahalla.Grains.Hosting;

/// <summary>Grain storage: which writer, on which engine.</summary>
public static class StorageHosting
{
    public static ISiloBuilder AddQrMahallaStorage(this ISiloBuilder silo, IConfiguration configuration) =>
        silo.AddQrMahallaStorage(StorageNames.Auth, EarlyOptions.Bind<StorageOptions>(silo.Services, configuration, StorageOptions.Section));

    /// <summary>
    /// Grain storage under <paramref name="name"/>: the group-commit writer or Orleans' ADO.NET provider, on the same
    /// tables with the same payloads and versions, or memory.
    /// </summary>
    public static ISiloBuilder AddQrMahallaStorage(this ISiloBuilder silo, string name, StorageOptions storage)
    {
        if (storage.Provider == StorageProvider.Memory)
        {
            return silo.AddMemoryGrainStorage(name);
        }

        if (storage.EffectiveWriter == StorageWriter.Batched)
        {
            silo.Services.AddGrainStorage(name, (services, key) => BatchedGrainStorage.Create(services, key, storage));
            return silo;
        }

        return silo.AddAdoNetGrainStorage(name, options =>
        {
            options.Invariant = StorageDatabase.Invariant(storage.Provider);
            options.ConnectionString = storage.ConnectionString;
            options.DeleteStateOnClear = true;
            options.GrainStorageSerializer = new JsonGrainStateSerializer();
        });
    }
}
