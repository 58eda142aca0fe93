using Npgsql;
using NpgsqlTypes;

namespace QrMahalla.Tests;

/// <summary>A row of the old service's <c>users_user</c> table, with its <c>last_login</c> and how many sessions it has.</summary>
public sealed record DjangoUser(
    int Id, string Phone, string? FirstName, string? LastName, string? PassportId, string? Address, string Role,
    bool IsActive, bool IsVerified, bool IsStaff, DateTimeOffset DateJoined, DateTimeOffset? LastLogin = null, int Sessions = 0);

/// <summary>
/// The old Django service's database: the <c>users_user</c> and <c>users_usersession</c> tables as Django 3.2's
/// migrations create them on PostgreSQL (custom user model: AbstractBaseUser + PermissionsMixin, integer AutoField
/// id), filled by COPY.
/// </summary>
public static class DjangoDatabase
{
    private const string Schema = """
        CREATE TABLE "users_user" (
            "id" serial NOT NULL PRIMARY KEY,
            "password" varchar(128) NOT NULL,
            "last_login" timestamp with time zone NULL,
            "is_superuser" boolean NOT NULL,
            "phone" varchar(20) NOT NULL UNIQUE,
            "first_name" varchar(100) NULL,
            "last_name" varchar(100) NULL,
            "passport_id" varchar(20) NULL,
            "address" varchar(500) NULL,
            "role" varchar(20) NOT NULL,
            "is_active" boolean NOT NULL,
            "is_verified" boolean NOT NULL,
            "is_staff" boolean NOT NULL,
            "date_joined" timestamp with time zone NOT NULL
        );
        CREATE INDEX "users_user_phone_4d8b6e61_like" ON "users_user" ("phone" varchar_pattern_ops);
        CREATE TABLE "users_usersession" (
            "id" bigserial NOT NULL PRIMARY KEY,
            "device_id" varchar(255) NOT NULL,
            "device_name" varchar(255) NOT NULL,
            "refresh_token" text NOT NULL,
            "ip_address" inet NULL,
            "user_agent" text NOT NULL,
            "is_active" boolean NOT NULL,
            "created_at" timestamp with time zone NOT NULL,
            "updated_at" timestamp with time zone NOT NULL,
            "user_id" integer NOT NULL REFERENCES "users_user" ("id") DEFERRABLE INITIALLY DEFERRED,
            UNIQUE ("user_id", "device_id")
        );
        """;

    public static async Task<string> CreateAsync(IReadOnlyList<DjangoUser> users)
    {
        var connectionString = await PostgresServer.CreateDatabaseAsync("django");
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using (var create = new NpgsqlCommand(Schema, connection))
        {
            await create.ExecuteNonQueryAsync();
        }

        await using (var copy = await connection.BeginBinaryImportAsync(
            "COPY users_user (id, password, last_login, is_superuser, phone, first_name, last_name, passport_id, address, role, is_active, is_verified, is_staff, date_joined) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var u in users)
            {
                await copy.StartRowAsync();
                await copy.WriteAsync(u.Id, NpgsqlDbType.Integer);
                await copy.WriteAsync("!unusable", NpgsqlDbType.Varchar);
                if (u.LastLogin is { } lastLogin)
                {
                    await copy.WriteAsync(lastLogin.ToUniversalTime(), NpgsqlDbType.TimestampTz);
                }
                else
                {
                    await copy.WriteNullAsync();
                }

                await copy.WriteAsync(false, NpgsqlDbType.Boolean);
                await copy.WriteAsync(u.Phone, NpgsqlDbType.Varchar);
                await WriteTextAsync(copy, u.FirstName);
                await WriteTextAsync(copy, u.LastName);
                await WriteTextAsync(copy, u.PassportId);
                await WriteTextAsync(copy, u.Address);
                await copy.WriteAsync(u.Role, NpgsqlDbType.Varchar);
                await copy.WriteAsync(u.IsActive, NpgsqlDbType.Boolean);
                await copy.WriteAsync(u.IsVerified, NpgsqlDbType.Boolean);
                await copy.WriteAsync(u.IsStaff, NpgsqlDbType.Boolean);
                await copy.WriteAsync(u.DateJoined.ToUniversalTime(), NpgsqlDbType.TimestampTz);
            }

            await copy.CompleteAsync();
        }

        await using (var sessions = new NpgsqlCommand(
            """
            INSERT INTO users_usersession (device_id, device_name, refresh_token, user_agent, is_active, created_at, updated_at, user_id)
            SELECT 'device-' || n, 'Phone', 'old-token', 'app', true, now(), now(), u.id
            FROM unnest(@ids, @counts) AS u(id, count), generate_series(1, u.count) AS n
            """, connection))
        {
            var withSessions = users.Where(u => u.Sessions > 0).ToList();
            sessions.Parameters.AddWithValue("ids", withSessions.Select(u => u.Id).ToArray());
            sessions.Parameters.AddWithValue("counts", withSessions.Select(u => u.Sessions).ToArray());
            await sessions.ExecuteNonQueryAsync();
        }

        return connectionString;
    }

    /// <summary>
    /// Old users with distinct, valid phones written the ways people typed them, ids from <paramref name="firstId"/>.
    /// Every one was used: half are verified, the others have logged in or hold a session (none is an orphan).
    /// </summary>
    public static List<DjangoUser> Users(int count, int firstId = 1)
    {
        var joined = new DateTimeOffset(2021, 3, 1, 9, 0, 0, TimeSpan.Zero);
        return Enumerable.Range(0, count).Select(i =>
        {
            var phone = TestSettings.NewPhone();
            var typed = (i % 3) switch
            {
                0 => phone,
                1 => $"{phone[..4]} {phone[4..6]} {phone[6..9]} {phone[9..11]} {phone[11..]}",
                _ => phone[1..],
            };
            return new DjangoUser(
                firstId + i, typed, $"Ism{i}", $"Familiya{i}", i % 5 == 0 ? null : $"AB{i:D7}", $"Toshkent, {i}-uy",
                i % 1000 == 0 ? "admin" : "user", IsActive: i % 97 != 0, IsVerified: i % 2 == 0, IsStaff: i % 1000 == 0,
                joined.AddMinutes(i),
                LastLogin: i % 4 == 1 ? joined.AddDays(30).AddMinutes(i) : null,
                Sessions: i % 4 == 3 ? 1 : 0);
        }).ToList();
    }

    private static Task WriteTextAsync(NpgsqlBinaryImporter copy, string? value) =>
        value is null ? copy.WriteNullAsync() : copy.WriteAsync(value, NpgsqlDbType.Varchar);
}
