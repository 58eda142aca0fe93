using System.Data.Common;
using Microsoft.Extensions.Options;
using QrMahalla.Grains.Options;

namespace QrMahalla.Grains.Storage;

/// <summary>A cheap round trip to grain storage; returns a sentence naming the problem, or null when healthy.</summary>
public sealed class StorageProbe(IOptions<StorageOptions> options)
{
    public async Task<string?> CheckAsync(CancellationToken cancellationToken = default)
    {
        var storage = options.Value;
        if (storage.Provider == StorageProvider.Memory)
        {
            return null;
        }

        try
        {
            await using var connection = await StorageDatabase.OpenAsync(storage, cancellationToken);
            await StorageDatabase.ReadQueryAsync(connection, "ReadFromStorageKey", cancellationToken);
            return null;
        }
        catch (Exception e) when (e is DbException or InvalidOperationException or TimeoutException)
        {
            return $"storage unreachable ({e.GetType().Name})";
        }
    }
}
