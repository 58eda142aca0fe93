using System.Net.Http.Headers;

namespace QrMahalla.EndToEnd.Tests;

/// <summary>The silo executable's operator commands, run as processes against a running cluster on PostgreSQL.</summary>
public sealed class OperatorCommandTests
{
    [Fact]
    public async Task Grant_role_import_django_and_reindex_work_against_a_running_cluster()
    {
        await using var cluster = await ProcessCluster.CreateAsync("commands");
        var gateway = await cluster.StartSteadyAsync(1, TimeSpan.FromSeconds(90));
        var staff = TestSettings.NewPhone();

        var refused = await cluster.RunSiloCommandAsync("grant-role", staff, "admin");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("must log in once first", refused.Output);

        var staffId = await ClientFlow.LoginAsync(gateway, cluster.Outbox, staff, TimeSpan.FromSeconds(30));
        var granted = await cluster.RunSiloCommandAsync("grant-role", staff.Replace("+998", "998 "), "admin");
        Assert.True(granted.ExitCode == 0, granted.Output);
        Assert.Contains($"(user {staffId}) now has the role 'admin'", granted.Output);
        Assert.DoesNotContain(staff, granted.Output);

        // The admin API through a pure-client gateway: every admin result type crosses the wire between processes.
        var admin = await AdminClientAsync(gateway, cluster.Outbox, staff);
        var found = await JsonAsync(admin, $"/api/admin/users/?phone={Uri.EscapeDataString(staff)}");
        Assert.Equal(staffId, found.GetProperty("results")[0].GetProperty("id").GetGuid());
        var account = await JsonAsync(admin, $"/api/admin/users/{staffId}/");
        Assert.Equal("admin", account.GetProperty("role").GetString());
        Assert.Equal(2, account.GetProperty("sessions").GetArrayLength());
        Assert.Equal(staffId, (await JsonAsync(admin, $"/api/admin/phones/{Uri.EscapeDataString(staff)}/")).GetProperty("user_id").GetGuid());
        Assert.Equal("user.grant_role", (await JsonAsync(admin, "/api/admin/audit/")).GetProperty("results")[0].GetProperty("action").GetString());

        var old = DjangoDatabase.Users(40, firstId: 9000);
        old.Add(old[0] with { Id = 9999, Phone = "not a phone" });
        old.Add(old[0] with { Id = 9998, Phone = TestSettings.NewPhone(), IsVerified = false });
        var source = await DjangoDatabase.CreateAsync(old);
        var import = await cluster.RunSiloCommandAsync("import-django", "--source", source);
        Assert.True(import.ExitCode == 0, import.Output);
        Assert.Contains("Importing 40 users...", import.Output);
        Assert.Contains("Read 42 rows", import.Output);
        Assert.Contains("40 imported, 0 already imported, 1 orphans skipped, 0 merged duplicates, 1 refused", import.Output);
        Assert.Contains("orphans (unverified, never used; --include-unverified imports them): ids 9998", import.Output);
        Assert.Matches(@"id 9999 \([^)]*\): not a valid mobile number", import.Output);
        var again = await cluster.RunSiloCommandAsync("import-django", "--source", source, "--include-unverified");
        Assert.True(again.ExitCode == 0, again.Output);
        Assert.Contains("1 imported, 40 already imported, 0 orphans skipped", again.Output);

        // An imported user logs in with a code and finds the old profile.
        var imported = old[1];
        var phone = "+" + new string(imported.Phone.Where(char.IsAsciiDigit).ToArray());
        var sent = await ClientFlow.SendCodeAsync(gateway, phone);
        Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        var verified = await ClientFlow.VerifyAsync(gateway, phone, cluster.Outbox.LatestCodeFor(phone));
        var login = JsonDocument.Parse(await verified.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(imported.FirstName, login.GetProperty("user").GetProperty("first_name").GetString());
        var me = new HttpRequestMessage(HttpMethod.Get, "/api/users/me/");
        me.Headers.Authorization = new AuthenticationHeaderValue("Bearer", login.GetProperty("access").GetString());
        var profile = JsonDocument.Parse(await (await gateway.SendAsync(me)).Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(imported.Address, profile.GetProperty("address").GetString());
        Assert.Equal(imported.DateJoined, profile.GetProperty("date_joined").GetDateTimeOffset());

        await PostgresServer.ScalarAsync(cluster.ConnectionString, "DELETE FROM qrm_user");
        var reindex = await cluster.RunSiloCommandAsync("reindex");
        Assert.True(reindex.ExitCode == 0, reindex.Output);
        Assert.Contains("42 users written", reindex.Output);
        Assert.Equal(42, await PostgresServer.ScalarAsync(cluster.ConnectionString, "SELECT COUNT(*) FROM qrm_user"));
        Assert.Equal(1, await PostgresServer.ScalarAsync(cluster.ConnectionString,
            "SELECT COUNT(*) FROM qrm_user WHERE user_id = @id AND role = 'admin'", ("id", staffId)));
    }

    private static async Task<HttpClient> AdminClientAsync(HttpClient gateway, Outbox outbox, string phone)
    {
        await Wait.UntilAsync(async () => (await ClientFlow.SendCodeAsync(gateway, phone)).StatusCode == HttpStatusCode.OK ? "sent" : null,
            TimeSpan.FromSeconds(90), "the resend cooldown to pass");
        var verified = await ClientFlow.VerifyAsync(gateway, phone, outbox.LatestCodeFor(phone), "admin-console");
        var access = JsonDocument.Parse(await verified.Content.ReadAsStringAsync()).RootElement.GetProperty("access").GetString();
        var admin = new HttpClient { BaseAddress = gateway.BaseAddress };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", access);
        return admin;
    }

    private static async Task<JsonElement> JsonAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    [Fact]
    public async Task A_command_without_a_cluster_or_with_bad_arguments_stops_with_a_sentence()
    {
        await using var cluster = await ProcessCluster.CreateAsync("nocluster");

        var usage = await cluster.RunSiloCommandAsync("grant-role", "+998901234567");
        Assert.Equal(2, usage.ExitCode);
        Assert.Contains("Usage:", usage.Output);

        var noCluster = await cluster.RunSiloCommandAsync("grant-role", "+998901234567", "admin");
        Assert.Equal(1, noCluster.ExitCode);
        Assert.Contains("QrMahalla.Silo grant-role cannot finish:", noCluster.Output);
        Assert.DoesNotContain("   at ", noCluster.Output);
    }
}
