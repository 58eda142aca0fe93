using System.Diagnostics;
using Npgsql;
using QrMahalla.Grains.Phones;

namespace QrMahalla.Grains.Admin;

/// <summary>
/// Moves the users of the old Django service over (<c>QrMahalla.Silo import-django</c>): reads its <c>users_user</c>
/// table and creates each user with its phone binding through the grains, as a first login would, keeping
/// <c>date_joined</c> and the old id. Phones are normalised; rows that do not parse, or that collide with another
/// row after normalisation, are reported and not imported. Idempotent: a re-run imports nothing twice.
/// </summary>
public sealed class DjangoImporter(IGrainFactory grains, PhoneNumberParser phones)
{
    public const string Query = """
        SELECT id, phone, first_name, last_name, passport_id, address, role, is_active, is_verified, is_staff, date_joined
        FROM users_user ORDER BY id
        """;

    /// <summary>A row that was not imported, and why. The phone is masked: operators look the row up by its id.</summary>
    public sealed record Problem(long LegacyId, string Phone, string Reason);

    public sealed record Progress(int Done, int Total);

    public sealed class Summary
    {
        public int Read { get; set; }
        public int Imported { get; set; }
        public int AlreadyImported { get; set; }
        public int DeletedSinceImport { get; set; }
        public int Failed { get; set; }
        public List<Problem> Problems { get; } = [];
        public TimeSpan Elapsed { get; set; }
    }

    private sealed record SourceRow(string Phone, LegacyUser User);

    public async Task<Summary> RunAsync(
        string sourceConnectionString, IProgress<Progress>? progress = null, int concurrency = 16, CancellationToken cancellationToken = default)
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
            if (same.Count == 1)
            {
                accepted.Add((phone, same[0].User));
                continue;
            }

            foreach (var row in same)
            {
                var others = string.Join(", ", same.Where(r => r != row).Select(r => r.User.LegacyId));
                summary.Problems.Add(new Problem(row.User.LegacyId, PhoneMask.Mask(phone), $"same phone as id {others} after normalisation; none of them imported"));
            }
        }

        summary.Problems.Sort((a, b) => a.LegacyId.CompareTo(b.LegacyId));
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

        await using var command = new NpgsqlCommand(Query, connection);
        var rows = new List<SourceRow>();
        try
        {
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
                rows.Add(new SourceRow(Text(1), user));
            }
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.UndefinedColumn)
        {
            throw new InvalidOperationException($"The old database has no users_user table of the expected shape ({e.MessageText}).", e);
        }

        return rows;
    }

    private static string Shorten(string value) => value.Length <= 30 ? value : value[..30];
}
