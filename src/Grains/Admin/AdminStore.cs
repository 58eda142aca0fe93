using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using System.Globalization;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Storage;

namespace QrMahalla.Grains.Admin;

/// <summary>An audit record before it has an id: who did what to what, and from where.</summary>
public sealed record AuditRecord(DateTimeOffset At, Guid? ActorId, string Actor, string Action, string Target, string? Detail, string? Ip);

/// <summary>
/// The admin side of the database: the users read model and the audit log, in the same database as grain state.
/// Only staff paths read it; the login path never does.
/// </summary>
public interface IAdminStore
{
    Task UpsertUserAsync(UserRow row, long revision, CancellationToken cancellationToken = default);
    Task DeleteUserAsync(Guid userId, CancellationToken cancellationToken = default);
    Task<UserPage> SearchUsersAsync(UserQuery query, CancellationToken cancellationToken = default);
    Task AppendAuditAsync(AuditRecord record, CancellationToken cancellationToken = default);
    Task<AuditPage> ListAuditAsync(int limit, long? before, CancellationToken cancellationToken = default);

    /// <summary>Audit rows whose actor or target is <paramref name="phone"/> name <paramref name="pseudonym"/> instead.</summary>
    Task ForgetPhoneAsync(string phone, string pseudonym, CancellationToken cancellationToken = default);
}

/// <summary>The read model and audit log on SQLite, PostgreSQL or SQL Server, through the queries stored in <c>OrleansQuery</c>.</summary>
public sealed class SqlAdminStore(IOptions<StorageOptions> storage, IOptions<ClusterOptions> cluster) : IAdminStore
{
    private readonly ConcurrentDictionary<string, string> queries = new(StringComparer.Ordinal);
    private readonly StorageProvider engine = storage.Value.Provider;

    public async Task UpsertUserAsync(UserRow row, long revision, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = await CommandAsync(connection, "QrmUpsertUserKey", cancellationToken);
        Add(command, "UserId", Key(row.Id), KeyType);
        Add(command, "Phone", row.Phone, DbType.String);
        Add(command, "FirstName", row.FirstName, DbType.String);
        Add(command, "LastName", row.LastName, DbType.String);
        Add(command, "SearchName", SearchName(row.FirstName, row.LastName), DbType.String);
        Add(command, "Role", row.Role, DbType.String);
        Add(command, "IsActive", row.IsActive, DbType.Boolean);
        Add(command, "IsStaff", row.IsStaff, DbType.Boolean);
        Add(command, "DateJoined", Time(row.DateJoined), TimeType);
        Add(command, "LegacyId", row.LegacyId, DbType.Int64);
        Add(command, "Revision", revision, DbType.Int64);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task DeleteUserAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = await CommandAsync(connection, "QrmDeleteUserKey", cancellationToken);
        Add(command, "UserId", Key(userId), KeyType);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<UserPage> SearchUsersAsync(UserQuery query, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = await CommandAsync(connection, "QrmSearchUsersKey", cancellationToken);
        Add(command, "Phone", query.PhonePrefix is { Length: > 0 } prefix ? EscapeLike(prefix) + "%" : null, DbType.String);
        Add(command, "Name", query.Name is { Length: > 0 } name ? "%" + EscapeLike(name.Trim().ToLowerInvariant()) + "%" : null, DbType.String);
        Add(command, "AfterJoined", query.After is { } after ? Time(after.DateJoined) : null, TimeType);
        Add(command, "AfterId", query.After is { } cursor ? Key(cursor.Id) : null, KeyType);

        // One row more than asked for tells whether there is a next page.
        Add(command, "Limit", query.Limit + 1, DbType.Int32);

        var rows = new List<UserRow>(query.Limit + 1);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add(new UserRow(
                    ReadKey(reader, 0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                    reader.GetBoolean(5), reader.GetBoolean(6), ReadTime(reader, 7),
                    reader.IsDBNull(8) ? null : reader.GetInt64(8)));
            }
        }

        if (rows.Count <= query.Limit)
        {
            return new UserPage(rows, null);
        }

        rows.RemoveAt(rows.Count - 1);
        var last = rows[^1];
        return new UserPage(rows, new UserCursor(last.DateJoined, last.Id));
    }

    public async Task AppendAuditAsync(AuditRecord record, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = await CommandAsync(connection, "QrmAppendAuditKey", cancellationToken);
        Add(command, "At", Time(record.At), TimeType);
        Add(command, "ActorId", record.ActorId is { } actor ? Key(actor) : null, KeyType);
        Add(command, "Actor", record.Actor, DbType.String);
        Add(command, "Action", record.Action, DbType.String);
        Add(command, "Target", record.Target, DbType.String);
        Add(command, "Detail", record.Detail, DbType.String);
        Add(command, "Ip", record.Ip, DbType.String);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task ForgetPhoneAsync(string phone, string pseudonym, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = await CommandAsync(connection, "QrmForgetAuditPhoneKey", cancellationToken);
        Add(command, "Phone", phone, DbType.String);
        Add(command, "Pseudonym", pseudonym, DbType.String);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<AuditPage> ListAuditAsync(int limit, long? before, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = await CommandAsync(connection, "QrmListAuditKey", cancellationToken);
        Add(command, "Before", before, DbType.Int64);
        Add(command, "Limit", limit + 1, DbType.Int32);
        var entries = new List<AuditEntry>(limit + 1);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                entries.Add(new AuditEntry(
                    reader.GetInt64(0), ReadTime(reader, 1), reader.IsDBNull(2) ? null : ReadKey(reader, 2), reader.GetString(3),
                    reader.GetString(4), reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6),
                    reader.IsDBNull(7) ? null : reader.GetString(7)));
            }
        }

        if (entries.Count <= limit)
        {
            return new AuditPage(entries, null);
        }

        entries.RemoveAt(entries.Count - 1);
        return new AuditPage(entries, entries[^1].Id);
    }

    /// <summary>Lower-cased "first last", so one LIKE finds either name, case-insensitively, on every engine.</summary>
    public static string SearchName(string firstName, string lastName) =>
        $"{firstName} {lastName}".Trim().ToLowerInvariant();

    private static string EscapeLike(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);

    private Task<DbConnection> OpenAsync(CancellationToken cancellationToken) => StorageDatabase.OpenAsync(storage.Value, cancellationToken);

    private async Task<DbCommand> CommandAsync(DbConnection connection, string key, CancellationToken cancellationToken)
    {
        if (!queries.TryGetValue(key, out var text))
        {
            text = queries[key] = await StorageDatabase.ReadQueryAsync(connection, key, cancellationToken);
        }

        var command = connection.CreateCommand();
        command.CommandText = text;
        Add(command, "ServiceId", cluster.Value.ServiceId, DbType.String);
        return command;
    }

    // SQLite keeps ids and times as text (fixed-width ISO-8601 UTC, which sorts as it compares); the others natively.
    private DbType KeyType => engine == StorageProvider.Sqlite ? DbType.String : DbType.Guid;

    private DbType TimeType => engine == StorageProvider.Sqlite ? DbType.String : DbType.DateTimeOffset;

    private object Key(Guid id) => engine == StorageProvider.Sqlite ? id.ToString("D") : id;

    private object Time(DateTimeOffset time) => engine == StorageProvider.Sqlite
        ? time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture)
        : time.ToUniversalTime();

    private Guid ReadKey(DbDataReader reader, int ordinal) =>
        engine == StorageProvider.Sqlite ? Guid.Parse(reader.GetString(ordinal)) : reader.GetGuid(ordinal);

    private DateTimeOffset ReadTime(DbDataReader reader, int ordinal) => engine == StorageProvider.Sqlite
        ? DateTimeOffset.Parse(reader.GetString(ordinal), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal)
        : reader.GetFieldValue<DateTimeOffset>(ordinal).ToUniversalTime();

    private static void Add(DbCommand command, string name, object? value, DbType type)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.DbType = type;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }
}
