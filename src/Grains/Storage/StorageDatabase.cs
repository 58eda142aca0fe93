using System.Data.Common;
using Microsoft.Data.SqlClient;
using Microsoft.Data.Sqlite;
using Npgsql;
using QrMahalla.Grains.Options;

namespace QrMahalla.Grains.Storage;

/// <summary>The relational engines the project's own SQL is written for, and how to reach each.</summary>
public static class StorageDatabase
{
    public const string SqliteInvariant = "System.Data.SQLite";
    public const string PostgreSqlInvariant = "Npgsql";
    public const string SqlServerInvariant = "Microsoft.Data.SqlClient";

    public static string Invariant(StorageProvider provider) => provider switch
    {
        StorageProvider.Sqlite => SqliteInvariant,
        StorageProvider.PostgreSql => PostgreSqlInvariant,
        StorageProvider.SqlServer => SqlServerInvariant,
        _ => throw new InvalidOperationException($"Storage:Provider '{provider}' is not a relational database."),
    };

    public static StorageProvider Engine(ClusterProvider provider) => provider switch
    {
        ClusterProvider.PostgreSql => StorageProvider.PostgreSql,
        ClusterProvider.SqlServer => StorageProvider.SqlServer,
        _ => throw new InvalidOperationException($"Cluster:Provider '{provider}' keeps no membership table."),
    };

    public static DbConnection CreateConnection(StorageProvider provider, string connectionString) => provider switch
    {
        StorageProvider.Sqlite => new SqliteConnection(connectionString),
        StorageProvider.PostgreSql => new NpgsqlConnection(connectionString),
        StorageProvider.SqlServer => new SqlConnection(connectionString),
        _ => throw new InvalidOperationException($"Storage:Provider '{provider}' is not a relational database."),
    };

    /// <summary>An open connection to the grain-storage database.</summary>
    public static async Task<DbConnection> OpenAsync(StorageOptions storage, CancellationToken cancellationToken)
    {
        var connection = CreateConnection(storage.Provider, storage.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            if (connection is SqliteConnection sqlite)
            {
                WaitInsideSqliteWhenBusy(sqlite);
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Lets SQLite itself wait (in steps of a few milliseconds) for another connection's write to finish. Without it
    /// Microsoft.Data.Sqlite retries a busy database in steps of 150 ms, which is what a login waited behind the
    /// users read model's upsert.
    /// </summary>
    public static void WaitInsideSqliteWhenBusy(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA busy_timeout = {Math.Max(1, connection.DefaultTimeout) * 1000};";
        command.ExecuteNonQuery();
    }

    /// <summary>A command running one of the project's stored queries for one service (<c>@ServiceId</c> bound).</summary>
    public static async Task<DbCommand> StoredCommandAsync(DbConnection connection, string key, string serviceId, CancellationToken cancellationToken)
    {
        var command = connection.CreateCommand();
        command.CommandText = await ReadQueryAsync(connection, key, cancellationToken);
        AddParameter(command, "ServiceId", serviceId);
        return command;
    }

    /// <summary>Runs a stored query of the project's <c>OrleansQuery</c> table by key.</summary>
    public static async Task<string> ReadQueryAsync(DbConnection connection, string key, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT QueryText FROM OrleansQuery WHERE QueryKey = @key";
        AddParameter(command, "key", key);
        return await command.ExecuteScalarAsync(cancellationToken) as string
            ?? throw new InvalidOperationException($"The storage schema has no query '{key}'; apply the schema (QrMahalla.Silo migrate).");
    }

    public static void AddParameter(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }
}
