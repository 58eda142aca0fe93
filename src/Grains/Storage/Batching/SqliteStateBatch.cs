using Microsoft.Data.Sqlite;
using QrMahalla.Grains.Options;

namespace QrMahalla.Grains.Storage.Batching;

/// <summary>
/// SQLite: one kept connection (SQLite has one writer anyway) runs a batch in one transaction with the very statements
/// Orleans' ADO.NET provider runs (read from OrleansQuery), prepared once and reused. WAL and <c>synchronous=FULL</c>:
/// each commit is on disk before any caller of the batch is answered.
/// </summary>
public sealed class SqliteStateBatch(string connectionString, string serviceId, StorageBatchOptions options) : StateBatchEngine
{
    private SqliteConnection? connection;
    private SqliteCommand? read, write, delete;

    public override Task RunAsync(IReadOnlyList<StateOperation> batch, CancellationToken cancellationToken)
    {
        // Microsoft.Data.Sqlite runs synchronously underneath; the storage's loop is its own task, so nothing waits on it.
        cancellationToken.ThrowIfCancellationRequested();
        var open = Connect();
        var changes = batch.Any(o => o.Kind != StateOperationKind.Read);
        using var transaction = open.BeginTransaction(deferred: !changes);
        foreach (var operation in batch)
        {
            var command = operation.Kind switch
            {
                StateOperationKind.Read => read!,
                StateOperationKind.Write => write!,
                _ => delete!,
            };
            command.Transaction = transaction;
            Bind(command, operation);
            using var reader = command.ExecuteReader();
            if (!reader.Read() || reader.IsDBNull(reader.FieldCount - 1))
            {
                continue;
            }

            switch (operation.Kind)
            {
                case StateOperationKind.Read:
                    operation.Matched = true;
                    operation.Stored = reader.IsDBNull(0) ? null : (byte[])reader.GetValue(0);
                    operation.Version = reader.GetInt32(1);
                    break;
                default:
                    operation.Matched = true;
                    operation.Version = reader.GetInt32(0);
                    break;
            }
        }

        transaction.Commit();
        return Task.CompletedTask;
    }

    /// <summary>A busy, locked, full or unreadable database fails every row alike; a row's own error does not.</summary>
    public override bool FailsEveryRow(Exception exception) =>
        exception is SqliteException { SqliteErrorCode: 5 or 6 or 8 or 10 or 11 or 13 or 14 or 26 } or InvalidOperationException;

    public override ValueTask ResetAsync()
    {
        Close();
        return ValueTask.CompletedTask;
    }

    public override ValueTask DisposeAsync() => ResetAsync();

    private void Close()
    {
        read?.Dispose();
        write?.Dispose();
        delete?.Dispose();
        connection?.Dispose();
        (read, write, delete, connection) = (null, null, null, null);
    }

    private SqliteConnection Connect()
    {
        if (connection is { State: System.Data.ConnectionState.Open })
        {
            return connection;
        }

        Close();
        var builder = new SqliteConnectionStringBuilder(connectionString);
        builder.DefaultTimeout = Math.Max(1, (int)Math.Ceiling(options.CommandTimeout.TotalSeconds));
        var opened = new SqliteConnection(builder.ConnectionString);
        try
        {
            opened.Open();
            using (var pragmas = opened.CreateCommand())
            {
                pragmas.CommandText = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;";
                pragmas.ExecuteNonQuery();
            }

            StorageDatabase.WaitInsideSqliteWhenBusy(opened);

            read = Prepare(opened, "ReadFromStorageKey", version: false, payload: false);
            write = Prepare(opened, "WriteToStorageKey", version: true, payload: true);
            delete = Prepare(opened, "DeleteStorageKey", version: true, payload: false);
        }
        catch
        {
            opened.Dispose();
            throw;
        }

        return connection = opened;
    }

    private SqliteCommand Prepare(SqliteConnection open, string key, bool version, bool payload)
    {
        var command = open.CreateCommand();
        command.CommandText = StorageDatabase.ReadQueryAsync(open, key, CancellationToken.None).GetAwaiter().GetResult();
        command.Parameters.AddWithValue("@ServiceId", serviceId);
        command.Parameters.Add("@GrainTypeString", SqliteType.Text);
        command.Parameters.Add("@GrainIdN0", SqliteType.Integer);
        command.Parameters.Add("@GrainIdN1", SqliteType.Integer);
        command.Parameters.Add("@GrainIdExtensionString", SqliteType.Text);
        if (version)
        {
            command.Parameters.Add("@GrainStateVersion", SqliteType.Integer);
        }

        if (payload)
        {
            command.Parameters.Add("@PayloadBinary", SqliteType.Blob);
        }

        return command;
    }

    private static void Bind(SqliteCommand command, StateOperation operation)
    {
        var parameters = command.Parameters;
        parameters["@GrainTypeString"].Value = operation.Key.StateName;
        parameters["@GrainIdN0"].Value = operation.Key.N0;
        parameters["@GrainIdN1"].Value = operation.Key.N1;
        parameters["@GrainIdExtensionString"].Value = operation.Key.KeyString;
        if (operation.Kind != StateOperationKind.Read)
        {
            parameters["@GrainStateVersion"].Value = (object?)operation.ExpectedVersion ?? DBNull.Value;
        }

        if (operation.Kind == StateOperationKind.Write)
        {
            parameters["@PayloadBinary"].Value = operation.Payload;
        }
    }
}
