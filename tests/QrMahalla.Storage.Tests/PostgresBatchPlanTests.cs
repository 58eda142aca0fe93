using System.Text.Json;
using Npgsql;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Storage;

namespace QrMahalla.Storage.Tests;

/// <summary>
/// The group-commit statements find each row by its own primary-key probe, whatever the planner knows. The batcher's
/// prepared statements run on generic plans; on a young table that autovacuum has not analyzed yet, a generic plan
/// once chose to hash every row of the service on each batch, so a batch cost grew with the table. Here the table
/// holds 30,000 rows and has no statistics at all (autovacuum off on it), and each statement runs on a forced generic
/// plan: the pages it touches must stay a small multiple of the keys it was given.
/// </summary>
public sealed class PostgresBatchPlanTests
{
    private const int Rows = 30_000;
    private const int Keys = 4;
    private const int PagesPerKey = 24;

    [Theory]
    [InlineData("QrmBatchReadKey")]
    [InlineData("QrmBatchWriteKey")]
    [InlineData("QrmBatchDeleteKey")]
    public async Task A_batch_statement_probes_its_rows_instead_of_reading_the_table(string queryKey)
    {
        var connectionString = await PostgresServer.CreateDatabaseAsync("plan");
        SchemaInstaller.ApplyTo(StorageProvider.PostgreSql, connectionString, "Storage:ConnectionString");
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await ExecuteAsync(connection, $"""
            ALTER TABLE qrm_grain_state SET (autovacuum_enabled = false);
            INSERT INTO qrm_grain_state (service_id, state_name, key_n0, key_n1, key_string, payload, version)
            SELECT 'plan-service', 'code', 0, 0, '+998900' || g, decode(repeat('ab', 150), 'hex'), 1
            FROM generate_series(1, {Rows}) AS g;
            """);
        Assert.Equal(0, await ScalarAsync(connection,
            "SELECT COUNT(*) FROM pg_stats WHERE tablename = 'qrm_grain_state'"));

        var query = await StorageDatabase.ReadQueryAsync(connection, queryKey, CancellationToken.None);
        var parameters = new[] { "ServiceId", "StateNames", "KeysN0", "KeysN1", "KeyStrings", "Payloads", "Versions" };
        for (var i = 0; i < parameters.Length; i++)
        {
            query = query.Replace("@" + parameters[i], "$" + (i + 1), StringComparison.Ordinal);
        }

        // Four keys: three stored at version 1 (spread over the table) and one that is not stored.
        var keys = string.Join(',', new[] { 17, Rows / 2, Rows - 3 }.Select(n => $"'+998900{n}'").Append("'+998900absent'"));
        await ExecuteAsync(connection, $"""
            SET plan_cache_mode = force_generic_plan;
            PREPARE batch(varchar, varchar[], bigint[], bigint[], varchar[], bytea[], integer[]) AS {query.TrimEnd().TrimEnd(';')};
            BEGIN;
            """);
        var plan = await ScalarTextAsync(connection, $"""
            EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE batch('plan-service',
                array['code','code','code','code'], array[0,0,0,0]::bigint[], array[0,0,0,0]::bigint[], array[{keys}],
                array['\x01','\x01','\x01','\x01']::bytea[], array[1,1,1,NULL]::integer[])
            """);
        await ExecuteAsync(connection, "ROLLBACK");

        var root = JsonDocument.Parse(plan).RootElement[0].GetProperty("Plan");
        var pages = root.GetProperty("Shared Hit Blocks").GetInt64() + root.GetProperty("Shared Read Blocks").GetInt64();
        var tablePages = await ScalarAsync(connection, "SELECT pg_relation_size('qrm_grain_state') / current_setting('block_size')::bigint");
        Assert.True(tablePages > Keys * PagesPerKey * 4, $"the table is too small to tell a probe from a scan ({tablePages} pages)");
        Assert.True(pages <= Keys * PagesPerKey, $"{queryKey} touched {pages} pages for {Keys} keys in a table of {tablePages} pages:\n{plan}");
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<long> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    private static async Task<string> ScalarTextAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }
}
