using System.Diagnostics;
using Npgsql;
using QrMahalla.Grains.Phones;
using QrMahalla.Grains.Rules;

namespace QrMahalla.Grains.Admin;

/// <summary>
/// Moves the users of the old Django service over (<c>QrMahalla.Silo import-django</c>): reads its <c>users_user</c>
/// table and creates each user with its phone binding through the grains, as a first login would, keeping
/// <c>date_joined</c> and the old id. Phones are normalised; which rows come over is <see cref="ImportRules"/>' call
/// (orphans stay behind unless asked for, the one real row of a duplicated phone wins); rows that do not parse are
/// reported and not imported. Idempotent: a re-run imports nothing twice.
/// </summary>
public sealed class DjangoImporter(IGrainFactory grains, PhoneNumberParser phones)
{
    /// <summary>Whether the old schema has the columns and table that tell a used row from an orphan.</summary>
    private const string EvidenceQuery = """
        SELECT EXISTS (SELECT 1 FROM information_schema.columns
                       WHERE table_schema = current_schema() AND table_name = 'users_user' AND column_name = 'last_login'),
               to_regclass('users_usersession') IS NOT NULL
        """;

    /// <summary>A row that was not imported, and why. The phone is masked: operators look the row up by its id.</summary>
    public sealed record Problem(long LegacyId, string Phone, string Reason);

    public sealed record Progress(int Done, int Total);

    /// <summary>A row left out because another row of the same phone was imported.</summary>
    public sealed record Merge(long LegacyId, string Phone, long Into);

    public sealed class Summary
    {
        public int Read { get; set; }
        public int Imported { get; set; }
        public int AlreadyImported { get; set; }
        public int DeletedSinceImport { get; set; }
        public int Failed { get; set; }

        /// <summary>Rows not imported for a reason a person should look at (they are the refused).</summary>
        public List<Problem> Problems { get; } = [];

        /// <summary>Ids of the unverified rows nobody ever used, left behind.</summary>
        public List<long> Orphans { get; } = [];

        public List<Merge> Merged { get; } = [];
        public TimeSpan Elapsed { get; set; }
    }

    private sealed record SourceRow(string Phone, LegacyUser User, bool HasSessions, DateTimeOffset? LastLogin)
    {
        public LegacyEvidence Evidence => new(User.LegacyId, User.IsVerified, HasSessions, LastLogin);
    }

    public async Task<Summary> RunAsync(
        string sourceConnectionString, IProgress<Progress>? progress = null, int concurrency = 16, bool includeUnverified = false,
        CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var summary = new Summary();
        var rows = await ReadAsync(sourceConnectionString, cancellationToken);
        summary.Read = rows.Count;

        var accepted = new List<(string Phone, LegacyUser User)>();
        var byPhone = new Dictionary<string, List<SourceRow>>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            var parsed = phones.Parse(row.Phone);
            if (parsed.Status != PhoneParseStatus.Ok)
            {
                summary.Problems.Add(new Problem(row.User.LegacyId, PhoneMask.Mask(row.Phone),
                    parsed.Status == PhoneParseStatus.RegionNotAllowed ? "the phone's region is not served (Sms:AllowedRegions)" : "not a valid mobile number"));
                continue;
            }

            if (!UserRoles.IsValid(row.User.Role))
            {
                summary.Problems.Add(new Problem(row.User.LegacyId, PhoneMask.Mask(parsed.E164), $"role '{Shorten(row.User.Role)}' is not a role name"));
                continue;
            }

            if (!byPhone.TryGetValue(parsed.E164!, out var same))
            {
                byPhone[parsed.E164!] = same = [];
            }

            same.Add(row);
        }

        foreach (var (phone, same) in byPhone)
        {
            var choice = ImportRules.Choose([.. same.Select(r => r.Evidence)], includeUnverified);
            if (choice.Winner is { } winner)
            {
                accepted.Add((phone, same.Single(r => r.User.LegacyId == winner).User));
            }

            summary.Merged.AddRange(choice.Merged.Select(id => new Merge(id, PhoneMask.Mask(phone), choice.Winner!.Value)));
            summary.Orphans.AddRange(choice.Orphaned);
            foreach (var id in choice.Refused)
            {
                var others = string.Join(", ", choice.Refused.Where(r => r != id));
                summary.Problems.Add(new Problem(id, PhoneMask.Mask(phone), $"same phone as id {others} after normalisation, and {choice.Reason}; none of them imported"));
            }
        }

        summary.Problems.Sort((a, b) => a.LegacyId.CompareTo(b.LegacyId));
        summary.Orphans.Sort();
        summary.Merged.Sort((a, b) => a.LegacyId.CompareTo(b.LegacyId));
        var done = 0;
        var total = accepted.Count;
        progress?.Report(new Progress(0, total));
        await Parallel.ForEachAsync(accepted, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken },
            async (item, _) =>
            {
                var status = await ImportOneAsync(item.Phone, item.User);
                lock (summary)
                {
                    switch (status)
                    {
                        case ImportStatus.Imported: summary.Imported++; break;
                        case ImportStatus.AlreadyImported: summary.AlreadyImported++; break;
                        case ImportStatus.DeletedSinceImport: summary.DeletedSinceImport++; break;
                        case ImportStatus.PhoneTaken:
                            summary.Problems.Add(new Problem(item.User.LegacyId, PhoneMask.Mask(item.Phone), "the phone already belongs to another account here"));
                            break;
                        default:
                            summary.Failed++;
                            summary.Problems.Add(new Problem(item.User.LegacyId, PhoneMask.Mask(item.Phone), "the cluster did not answer; run the import again"));
                            break;
                    }

                    done++;
                    if (done % 500 == 0 || done == total)
                    {
                        progress?.Report(new Progress(done, total));
                    }
                }
            });

        summary.Elapsed = clock.Elapsed;
        return summary;
    }

    /// <summary>One row, retried on faults (the import is idempotent); null when the cluster kept failing.</summary>
    private async Task<ImportStatus?> ImportOneAsync(string phone, LegacyUser user)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await grains.GetGrain<IPhoneGrain>(phone).ImportAsync(user);
            }
            catch (Exception e) when (attempt < 3 && e is TimeoutException or OrleansException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt));
            }
            catch (Exception e) when (e is TimeoutException or OrleansException)
            {
                return null;
            }
        }
    }

    private static async Task<List<SourceRow>> ReadAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
        }
        catch (Exception e) when (e is NpgsqlException or ArgumentException)
        {
            throw new InvalidOperationException($"--source does not reach the old database ({e.Message.Split('\n')[0].TrimEnd('.')}).", e);
        }

        var rows = new List<SourceRow>();
        try
        {
            await using var command = new NpgsqlCommand(await RowsQueryAsync(connection, cancellationToken), connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var id = Convert.ToInt64(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture);
                string Text(int i) => reader.IsDBNull(i) ? "" : reader.GetString(i).Trim();
                var user = new LegacyUser(
                    id, Text(2), Text(3), Text(4), Text(5),
                    reader.IsDBNull(6) ? UserRoles.User : reader.GetString(6).Trim().ToLowerInvariant(),
                    reader.GetBoolean(7), reader.GetBoolean(8), reader.GetBoolean(9),
                    reader.GetFieldValue<DateTimeOffset>(10));
                rows.Add(new SourceRow(Text(1), user, reader.GetBoolean(12), reader.IsDBNull(11) ? null : reader.GetFieldValue<DateTimeOffset>(11)));
            }
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.UndefinedColumn)
        {
            throw new InvalidOperationException($"The old database has no users_user table of the expected shape ({e.MessageText}).", e);
        }

        return rows;
    }

    /// <summary>The users with what tells a used row from an orphan; a schema without those parts tells nothing.</summary>
    private static async Task<string> RowsQueryAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var probe = new NpgsqlCommand(EvidenceQuery, connection);
        await using var found = await probe.ExecuteReaderAsync(cancellationToken);
        await found.ReadAsync(cancellationToken);
        var lastLogin = found.GetBoolean(0) ? "u.last_login" : "NULL::timestamptz";
        var sessions = found.GetBoolean(1) ? "EXISTS (SELECT 1 FROM users_usersession s WHERE s.user_id = u.id)" : "false";
        return $"""
            SELECT u.id, u.phone, u.first_name, u.last_name, u.passport_id, u.address, u.role, u.is_active, u.is_verified,
                   u.is_staff, u.date_joined, {lastLogin}, {sessions}
            FROM users_user u ORDER BY u.id
            """;
    }

    private static string Shorten(string value) => value.Length <= 30 ? value : value[..30];
}
