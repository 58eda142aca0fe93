using Microsoft.Data.Sqlite;

namespace QrMahalla.Tests;

/// <summary>Looks at what grain storage really holds, straight from the SQLite file.</summary>
public static class StorageRows
{
    public static long Count(string databasePath, string stateName, string? stringKey = null) => stringKey is null
        ? (long)Scalar(databasePath, "SELECT COUNT(*) FROM QrmGrainState WHERE StateName = $state", ("$state", stateName))
        : (long)Scalar(databasePath, "SELECT COUNT(*) FROM QrmGrainState WHERE StateName = $state AND KeyString = $key", ("$state", stateName), ("$key", stringKey));

    public static bool UserExists(string databasePath, Guid userId) => UserColumn(databasePath, userId, "COUNT(*)") == 1;

    /// <summary>Rows of the users read model (what staff search) for a phone.</summary>
    public static long ReadModelRows(string databasePath, string phone) =>
        (long)Scalar(databasePath, "SELECT COUNT(*) FROM QrmUser WHERE Phone = $phone", ("$phone", phone));

    public static string Payload(string databasePath, string stateName, string stringKey) => (string)Scalar(databasePath,
        "SELECT CAST(Payload AS TEXT) FROM QrmGrainState WHERE StateName = $state AND KeyString = $key", ("$state", stateName), ("$key", stringKey));

    /// <summary>The row's version: how many times the provider has written it.</summary>
    public static long Version(string databasePath, string stateName, string stringKey) => (long)Scalar(databasePath,
        "SELECT Version FROM QrmGrainState WHERE StateName = $state AND KeyString = $key", ("$state", stateName), ("$key", stringKey));

    public static long UserVersion(string databasePath, Guid userId) => UserColumn(databasePath, userId, "Version");

    /// <summary>One value of a user's row; Orleans keys a Guid grain by the two halves of its bytes.</summary>
    private static long UserColumn(string databasePath, Guid userId, string column)
    {
        var bytes = userId.ToByteArray();
        return (long)Scalar(databasePath, $"SELECT {column} FROM QrmGrainState WHERE StateName = 'user' AND KeyN0 = $n0 AND KeyN1 = $n1",
            ("$n0", BitConverter.ToInt64(bytes, 0)), ("$n1", BitConverter.ToInt64(bytes, 8)));
    }

    /// <summary>Runs one statement against the file, as an operator (or a fault) would, behind the service's back.</summary>
    public static void Execute(string databasePath, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={databasePath};Default Timeout=30");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static object Scalar(string databasePath, string sql, params (string Name, object Value)[] parameters)
    {
        using var connection = new SqliteConnection($"Data Source={databasePath}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command.ExecuteScalar()!;
    }
}
