using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using QrMahalla.Grains.Options;

namespace QrMahalla.Grains.Storage;

/// <summary>A cheap round trip to grain storage; returns a sentence naming the problem, or null when healthy.</summary>
public sealed class StorageProbe(IOptions<StorageOptions> options)
{
    public async Task<string?> CheckAsync()
    {
        var storage = options.Value;
        if (storage.Provider == StorageProvider.Memory)
        {
            return null;
        }

        try
        {
            await using var connection = new SqliteConnection(storage.ConnectionString);
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT COUNT(*) FROM OrleansQuery";
            var count = Convert.ToInt32(await command.ExecuteScalarAsync());
            return count > 0 ? null : "the storage schema is missing";
        }
        catch (SqliteException e)
        {
            return $"storage unreachable: {e.SqliteErrorCode}";
        }
    }
}
