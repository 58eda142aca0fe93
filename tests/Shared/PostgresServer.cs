using Npgsql;

namespace QrMahalla.Tests;

/// <summary>
/// The real PostgreSQL server that ./test.sh starts (or the one QRM_TEST_POSTGRES names). Tests that need it fail,
/// never skip, when it is absent. Each caller gets a database of its own.
/// </summary>
public static class PostgresServer
{
    public const string Variable = "QRM_TEST_POSTGRES";

    public static string ConnectionString =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{Variable} is not set: run the tests through ./test.sh, which starts PostgreSQL, or point {Variable} at a server.");

    public static Task<string> CreateDatabaseAsync(string purpose) => CreateDatabaseAsync(ConnectionString, purpose);

    /// <summary>A new database on the server <paramref name="server"/> names; its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string server, string purpose)
    {
        var name = $"qrm_{purpose}_{Guid.NewGuid():N}"[..40].ToLowerInvariant();
        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"CREATE DATABASE \"{name}\"";
        await command.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(server) { Database = name, MaxPoolSize = 200 }.ConnectionString;
    }

    public static async Task<long> ScalarAsync(string connectionString, string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }
}
