using Npgsql;
using NpgsqlTypes;
using QrMahalla.Grains.Options;

namespace QrMahalla.Grains.Storage.Batching;

/// <summary>
/// PostgreSQL: a batch is at most three statements over arrays (reads, writes, deletes; <c>QrmBatch*Key</c> in
/// OrleansQuery), sent in one round trip on one kept connection, in one transaction when it changes anything.
/// </summary>
public sealed class PostgresStateBatch(string connectionString, string serviceId, StorageBatchOptions options) : StateBatchEngine
{
    private readonly string connectionString = new NpgsqlConnectionStringBuilder(connectionString)
    {
        // The batcher's own connection runs the same three statements all day: let the server keep their plans.
        MaxAutoPrepare = 8,
        AutoPrepareMinUsages = 2,
        Timeout = Math.Max(1, (int)Math.Ceiling(options.CommandTimeout.TotalSeconds)),
        CommandTimeout = Math.Max(1, (int)Math.Ceiling(options.CommandTimeout.TotalSeconds)),
    }.ConnectionString;

    private NpgsqlConnection? connection;
    private string readSql = "", writeSql = "", deleteSql = "";

    public override async Task RunAsync(IReadOnlyList<StateOperation> batch, CancellationToken cancellationToken)
    {
        var open = await ConnectAsync(cancellationToken);
        var reads = new List<StateOperation>();
        var writes = new List<StateOperation>();
        var deletes = new List<StateOperation>();
        foreach (var operation in batch)
        {
            (operation.Kind switch
            {
                StateOperationKind.Read => reads,
                StateOperationKind.Write => writes,
                _ => deletes,
            }).Add(operation);
        }

        await using var commands = new NpgsqlBatch(open);
        if (reads.Count > 0)
        {
            commands.BatchCommands.Add(Command(readSql, reads, payloads: false, versions: false));
        }

        if (writes.Count > 0)
        {
            commands.BatchCommands.Add(Command(writeSql, writes, payloads: true, versions: true));
        }

        if (deletes.Count > 0)
        {
            commands.BatchCommands.Add(Command(deleteSql, deletes, payloads: false, versions: true));
        }

        var changes = writes.Count + deletes.Count > 0;
        await using var transaction = changes ? await open.BeginTransactionAsync(cancellationToken) : null;
        await using (var reader = await commands.ExecuteReaderAsync(cancellationToken))
        {
            if (reads.Count > 0)
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    var read = reads[(int)reader.GetInt64(0) - 1];
                    read.Matched = true;
                    read.Stored = reader.IsDBNull(1) ? null : reader.GetFieldValue<byte[]>(1);
                    read.Version = reader.GetInt32(2);
                }

                await reader.NextResultAsync(cancellationToken);
            }

            foreach (var changed in new[] { writes, deletes })
            {
                if (changed.Count == 0)
                {
                    continue;
                }

                var byKey = changed.ToDictionary(o => o.Key);
                while (await reader.ReadAsync(cancellationToken))
                {
                    var operation = byKey[new StateKey(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetString(3))];
                    operation.Matched = true;
                    operation.Version = reader.GetInt32(4);
                }

                await reader.NextResultAsync(cancellationToken);
            }
        }

        if (transaction is not null)
        {
            await transaction.CommitAsync(cancellationToken);
        }
    }

    public override bool FailsEveryRow(Exception exception) => exception switch
    {
        // The server refused one statement (bad data, a deadlock): the rows one by one tell which.
        PostgresException e => e.SqlState.StartsWith("08", StringComparison.Ordinal) || e.SqlState.StartsWith("57P", StringComparison.Ordinal),
        NpgsqlException or TimeoutException or System.Net.Sockets.SocketException or IOException => true,
        _ => connection is { State: not System.Data.ConnectionState.Open },
    };

    public override async ValueTask ResetAsync()
    {
        if (connection is not null)
        {
            await connection.DisposeAsync();
            connection = null;
        }
    }

    public override ValueTask DisposeAsync() => ResetAsync();

    private async Task<NpgsqlConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        if (connection is { State: System.Data.ConnectionState.Open })
        {
            return connection;
        }

        await ResetAsync();
        var opened = new NpgsqlConnection(connectionString);
        try
        {
            await opened.OpenAsync(cancellationToken);
            if (readSql.Length == 0)
            {
                readSql = await StorageDatabase.ReadQueryAsync(opened, "QrmBatchReadKey", cancellationToken);
                writeSql = await StorageDatabase.ReadQueryAsync(opened, "QrmBatchWriteKey", cancellationToken);
                deleteSql = await StorageDatabase.ReadQueryAsync(opened, "QrmBatchDeleteKey", cancellationToken);
            }
        }
        catch
        {
            await opened.DisposeAsync();
            throw;
        }

        return connection = opened;
    }

    private NpgsqlBatchCommand Command(string sql, List<StateOperation> operations, bool payloads, bool versions)
    {
        var command = new NpgsqlBatchCommand(sql);
        var parameters = command.Parameters;
        parameters.Add(new NpgsqlParameter<string>("ServiceId", NpgsqlDbType.Varchar) { TypedValue = serviceId });
        parameters.Add(new NpgsqlParameter<string[]>("StateNames", NpgsqlDbType.Array | NpgsqlDbType.Varchar) { TypedValue = [.. operations.Select(o => o.Key.StateName)] });
        parameters.Add(new NpgsqlParameter<long[]>("KeysN0", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = [.. operations.Select(o => o.Key.N0)] });
        parameters.Add(new NpgsqlParameter<long[]>("KeysN1", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = [.. operations.Select(o => o.Key.N1)] });
        parameters.Add(new NpgsqlParameter<string[]>("KeyStrings", NpgsqlDbType.Array | NpgsqlDbType.Varchar) { TypedValue = [.. operations.Select(o => o.Key.KeyString)] });
        if (payloads)
        {
            parameters.Add(new NpgsqlParameter<byte[][]>("Payloads", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { TypedValue = [.. operations.Select(o => o.Payload!)] });
        }

        if (versions)
        {
            parameters.Add(new NpgsqlParameter<int?[]>("Versions", NpgsqlDbType.Array | NpgsqlDbType.Integer) { TypedValue = [.. operations.Select(o => o.ExpectedVersion)] });
        }

        return command;
    }
}
