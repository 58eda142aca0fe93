using Microsoft.Data.Sqlite;

namespace QrMahalla.Cluster.Tests;

/// <summary>Looks at what grain storage really holds, straight from the SQLite file.</summary>
public static class StorageRows
{
    public static long Count(string databasePath, string stateName, string? stringKey = null)
    {
        using var connection = new SqliteConnection($"Data Source={databasePath}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = stringKey is null
            ? "SELECT COUNT(*) FROM QrmGrainState WHERE StateName = $state"
            : "SELECT COUNT(*) FROM QrmGrainState WHERE StateName = $state AND KeyString = $key";
        command.Parameters.AddWithValue("$state", stateName);
        if (stringKey is not null)
        {
            command.Parameters.AddWithValue("$key", stringKey);
        }

        return (long)command.ExecuteScalar()!;
    }

    public static bool UserExists(string databasePath, Guid userId) => UserColumn(databasePath, userId, "COUNT(*)") == 1;

    public static string Payload(string databasePath, string stateName, string stringKey)
    {
        using var connection = new SqliteConnection($"Data Source={databasePath}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT CAST(Payload AS TEXT) FROM QrmGrainState WHERE StateName = $state AND KeyString = $key";
        command.Parameters.AddWithValue("$state", stateName);
        command.Parameters.AddWithValue("$key", stringKey);
        return (string)command.ExecuteScalar()!;
    }

    /// <summary>The row's version: how many times the provider has written it.</summary>
    public static long Version(string databasePath, string stateName, string stringKey)
    {
        using var connection = new SqliteConnection($"Data Source={databasePath}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT Version FROM QrmGrainState WHERE StateName = $state AND KeyString = $key";
        command.Parameters.AddWithValue("$state", stateName);
        command.Parameters.AddWithValue("$key", stringKey);
        return (long)command.ExecuteScalar()!;
    }

    public static long UserVersion(string databasePath, Guid userId) => UserColumn(databasePath, userId, "Version");

    /// <summary>One value of a user's row; Orleans keys a Guid grain by the two halves of its bytes.</summary>
    private static long UserColumn(string databasePath, Guid userId, string column)
    {
        var bytes = userId.ToByteArray();
        using var connection = new SqliteConnection($"Data Source={databasePath}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {column} FROM QrmGrainState WHERE StateName = 'user' AND KeyN0 = $n0 AND KeyN1 = $n1";
        command.Parameters.AddWithValue("$n0", BitConverter.ToInt64(bytes, 0));
        command.Parameters.AddWithValue("$n1", BitConverter.ToInt64(bytes, 8));
        return (long)command.ExecuteScalar()!;
    }
}
