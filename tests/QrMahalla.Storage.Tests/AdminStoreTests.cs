using Microsoft.Extensions.Options;
using Orleans.Configuration;
using QrMahalla.Grains.Admin;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Storage;

namespace QrMahalla.Storage.Tests;

/// <summary>The users read model and the audit log on a real PostgreSQL server and a real SQLite file.</summary>
public sealed class AdminStoreTests
{
    public static TheoryData<string> Engines => new() { "PostgreSql", "Sqlite" };

    [Theory, MemberData(nameof(Engines))]
    public async Task Search_filters_by_phone_prefix_and_name_newest_first_with_stable_pages(string engine)
    {
        var store = await StoreAsync(engine);
        var joined = new DateTimeOffset(2024, 5, 1, 8, 0, 0, TimeSpan.Zero);
        var rows = new[]
        {
            Row("+998901000001", "Aziza", "Karimova", joined),
            Row("+998901000002", "Bobur", "Karimov", joined.AddMinutes(1)),
            Row("+998911000003", "Dilnoza", "Yusupova", joined.AddMinutes(1)),
            Row("+998901000004", "Ali_%", "Tests", joined.AddMinutes(2)),
        };
        foreach (var row in rows)
        {
            await store.UpsertUserAsync(row, 1);
        }

        var all = await store.SearchUsersAsync(new UserQuery(null, null, 10));
        Assert.Equal([rows[3].Id], all.Items.Take(1).Select(r => r.Id));
        Assert.Equal(rows[0].Id, all.Items[^1].Id);
        Assert.Null(all.Next);

        var byPhone = await store.SearchUsersAsync(new UserQuery("+99890", null, 10));
        Assert.Equal(3, byPhone.Items.Count);
        Assert.DoesNotContain(rows[2].Id, byPhone.Items.Select(r => r.Id));

        var byName = await store.SearchUsersAsync(new UserQuery(null, "KARIM", 10));
        Assert.Equal(new[] { rows[1].Id, rows[0].Id }, byName.Items.Select(r => r.Id));

        // "%" and "_" are taken literally, not as wildcards.
        Assert.Equal([rows[3].Id], (await store.SearchUsersAsync(new UserQuery(null, "i_%", 10))).Items.Select(r => r.Id));
        Assert.Empty((await store.SearchUsersAsync(new UserQuery(null, "a%a", 10))).Items);

        var first = await store.SearchUsersAsync(new UserQuery(null, null, 2));
        var second = await store.SearchUsersAsync(new UserQuery(null, null, 2, first.Next));
        Assert.NotNull(first.Next);
        Assert.Null(second.Next);
        Assert.Equal(rows.Select(r => r.Id).Order(), first.Items.Concat(second.Items).Select(r => r.Id).Order());

        var read = byName.Items[1];
        Assert.Equal(rows[0], read);
    }

    [Theory, MemberData(nameof(Engines))]
    public async Task An_older_revision_never_overwrites_a_newer_one_and_delete_removes_the_row(string engine)
    {
        var store = await StoreAsync(engine);
        var row = Row("+998902000001", "Old", "Name", DateTimeOffset.UtcNow);

        await store.UpsertUserAsync(row with { FirstName = "New", IsActive = false }, 5);
        await store.UpsertUserAsync(row, 4);
        await store.UpsertUserAsync(row with { FirstName = "New", IsActive = false }, 5);

        var found = Assert.Single((await store.SearchUsersAsync(new UserQuery("+998902000001", null, 10))).Items);
        Assert.Equal("New", found.FirstName);
        Assert.False(found.IsActive);

        await store.DeleteUserAsync(row.Id);
        await store.DeleteUserAsync(row.Id);
        Assert.Empty((await store.SearchUsersAsync(new UserQuery("+998902000001", null, 10))).Items);
    }

    [Theory, MemberData(nameof(Engines))]
    public async Task The_audit_log_lists_newest_first_in_pages(string engine)
    {
        var store = await StoreAsync(engine);
        var actor = Guid.NewGuid();
        var at = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);
        for (var i = 0; i < 3; i++)
        {
            await store.AppendAuditAsync(new AuditRecord(at.AddSeconds(i), i == 0 ? null : actor, "+998901112233", $"action.{i}", "target", i == 1 ? "{\"x\":1}" : null, "10.0.0.1"));
        }

        var page = await store.ListAuditAsync(2, null);
        Assert.Equal(["action.2", "action.1"], page.Items.Select(e => e.Action));
        Assert.Equal(actor, page.Items[0].ActorId);
        Assert.Equal(at.AddSeconds(2), page.Items[0].At);
        Assert.Equal("{\"x\":1}", page.Items[1].Detail);
        Assert.Equal("10.0.0.1", page.Items[1].Ip);

        var rest = await store.ListAuditAsync(2, page.Next);
        var last = Assert.Single(rest.Items);
        Assert.Equal("action.0", last.Action);
        Assert.Null(last.ActorId);
        Assert.Null(rest.Next);
    }

    private static UserRow Row(string phone, string first, string last, DateTimeOffset joined) =>
        new(Guid.NewGuid(), phone, first, last, "user", true, false, joined, 17);

    private static async Task<SqlAdminStore> StoreAsync(string engine)
    {
        var storage = engine == "PostgreSql"
            ? new StorageOptions { Provider = StorageProvider.PostgreSql, ConnectionString = await PostgresServer.CreateDatabaseAsync("admin") }
            : new StorageOptions
            {
                Provider = StorageProvider.Sqlite,
                ConnectionString = $"Data Source={Path.Combine(TestSettings.NewTempFolder("admin"), "admin.db")}",
            };
        SchemaInstaller.ApplyTo(storage.Provider, storage.ConnectionString, "Storage:ConnectionString");
        return new SqlAdminStore(Options.Create(storage), Options.Create(new ClusterOptions { ServiceId = "admin-tests" }));
    }
}
