using System.Reflection;
using Microsoft.Data.Sqlite;
using QrMahalla.Grains.Options;

namespace QrMahalla.Grains.Storage;

/// <summary>Applies the project's own storage schema, idempotently, before the Orleans host starts.</summary>
public static class SchemaInstaller
{
    public static void Apply(StorageOptions options)
    {
        switch (options.Provider)
        {
            case StorageProvider.Sqlite:
                ApplySqlite(options.ConnectionString);
                break;
            case StorageProvider.Memory:
                break;
            default:
                throw new InvalidOperationException($"Storage:Provider '{options.Provider}' has no schema.");
        }
    }

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

        try
        {
            using var connection = new SqliteConnection(connectionString);
            connection.Open();
            using (var wal = connection.CreateCommand())
            {
                wal.CommandText = "PRAGMA journal_mode = WAL;";
                wal.ExecuteNonQuery();
            }

            // An immediate transaction takes SQLite's write lock, so silos starting together apply it one at a time.
            using var transaction = connection.BeginTransaction(deferred: false);
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = ReadScript("Sqlite.schema.sql");
            command.ExecuteNonQuery();
            transaction.Commit();
        }
        catch (SqliteException e)
        {
            throw new InvalidOperationException(
                $"Storage:ConnectionString does not open a usable SQLite database ({e.Message.TrimEnd('.')}).", e);
        }
    }
}
