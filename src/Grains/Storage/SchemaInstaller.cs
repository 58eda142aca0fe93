using System.Data.Common;
using Microsoft.Data.Sqlite;
using QrMahalla.Grains.Options;

namespace QrMahalla.Grains.Storage;

/// <summary>
/// Applies the project's own schema (storage and, on PostgreSQL and SQL Server, membership) before the Orleans host
/// starts. Every script is idempotent and runs under a database lock, so silos starting together take turns.
/// </summary>
public static class SchemaInstaller
{
    /// <summary>Applies the storage schema, and the membership schema where clustering uses another database.</summary>
    public static void Apply(StorageOptions storage, ClusteringOptions cluster)
    {
        if (storage.Provider != StorageProvider.Memory)
        {
            ApplyTo(storage.Provider, storage.ConnectionString, "Storage:ConnectionString");
        }

        if (cluster.Provider != ClusterProvider.Localhost)
        {
            var engine = StorageDatabase.Engine(cluster.Provider);
            var connectionString = cluster.ConnectionString ?? storage.ConnectionString;
            if (engine != storage.Provider || connectionString != storage.ConnectionString)
            {
                ApplyTo(engine, connectionString, cluster.ConnectionString is null ? "Storage:ConnectionString" : "Cluster:ConnectionString");
            }
        }
    }

    public static void ApplyTo(StorageProvider engine, string connectionString, string setting)
    {
        try
        {
            switch (engine)
            {
                case StorageProvider.Sqlite:
                    ApplySqlite(connectionString);
                    break;
                case StorageProvider.PostgreSql:
                    ApplyLocked(engine, connectionString, "SELECT pg_advisory_xact_lock(7277001);", "PostgreSql");
                    break;
                case StorageProvider.SqlServer:
                    ApplyLocked(engine, connectionString,
                        "EXEC sp_getapplock @Resource = 'qrmahalla-schema', @LockMode = 'Exclusive', @LockOwner = 'Transaction', @LockTimeout = 60000;",
                        "SqlServer");
                    break;
                default:
                    throw new InvalidOperationException($"Storage:Provider '{engine}' has no schema.");
            }
        }
        catch (Exception e) when (e is DbException or ArgumentException or TimeoutException)
        {
            throw new InvalidOperationException(
                $"{setting} does not reach a usable {engine} database ({FirstSentence(e.Message)}).", e);
        }
    }

    /// <summary>The scripts of one engine, in the order they apply.</summary>
    public static IReadOnlyList<string> Scripts(StorageProvider engine) => engine switch
    {
        StorageProvider.Sqlite => [ReadScript("Sqlite.schema.sql"), ReadScript("Sqlite.admin.sql")],
        StorageProvider.PostgreSql => [ReadScript("PostgreSql.storage.sql"), ReadScript("PostgreSql.admin.sql"), ReadScript("PostgreSql.membership.sql")],
        StorageProvider.SqlServer => [ReadScript("SqlServer.storage.sql"), ReadScript("SqlServer.admin.sql"), ReadScript("SqlServer.membership.sql")],
        _ => [],
    };

    internal static string ReadScript(string name)
    {
        using var stream = typeof(SchemaInstaller).Assembly.GetManifestResourceStream($"QrMahalla.Grains.Storage.{name}")
            ?? throw new InvalidOperationException($"Embedded script '{name}' is missing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static void ApplySqlite(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (builder.Mode != SqliteOpenMode.Memory && !string.IsNullOrEmpty(builder.DataSource) && builder.DataSource != ":memory:")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(builder.DataSource))!);
        }

        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using (var wal = connection.CreateCommand())
        {
            wal.CommandText = "PRAGMA journal_mode = WAL;";
            wal.ExecuteNonQuery();
        }

        // An immediate transaction takes SQLite's write lock, so silos starting together apply it one at a time.
        using var transaction = connection.BeginTransaction(deferred: false);
        Execute(connection, transaction, Scripts(StorageProvider.Sqlite));
        transaction.Commit();
    }

    private static void ApplyLocked(StorageProvider engine, string connectionString, string lockStatement, string name)
    {
        using var connection = StorageDatabase.CreateConnection(engine, connectionString);
        connection.Open();
        using var transaction = connection.BeginTransaction();
        Execute(connection, transaction, [lockStatement, .. Scripts(engine)]);
        transaction.Commit();
    }

    private static void Execute(DbConnection connection, DbTransaction transaction, IEnumerable<string> scripts)
    {
        foreach (var script in scripts)
        {
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandTimeout = 120;
            command.CommandText = script;
            command.ExecuteNonQuery();
        }
    }

    private static string FirstSentence(string message)
    {
        var line = message.Split('\n', 2)[0].Trim().TrimEnd('.');
        return line.Length <= 200 ? line : line[..200];
    }
}
