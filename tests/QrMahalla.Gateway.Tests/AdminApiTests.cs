using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;
using QrMahalla.Tests;

namespace QrMahalla.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class AdminApiTests(GatewayFactory factory)
{
    private readonly Api api = new(factory.CreateClient(), factory.Outbox);

    [Fact]
    public async Task A_phone_listed_in_AdminPhones_gets_the_admin_role_at_login()
    {
        var login = await AdminLoginAsync();

        Assert.Equal("admin", Api.Payload(login.Access).GetProperty("role").GetString());
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/admin/users/", login.Access)).StatusCode);
    }

    [Fact]
    public async Task Users_without_the_role_get_403_and_callers_without_a_token_401()
    {
        var user = await api.LoginAsync(TestSettings.NewPhone());

        foreach (var path in new[] { "/api/admin/users/", $"/api/admin/users/{user.UserId}/", "/api/admin/audit/", "/api/admin/phones/+998901234567/" })
        {
            await Api.Error(await api.GetAsync(path, user.Access), HttpStatusCode.Forbidden, "forbidden");
            await Api.Error(await api.GetAsync(path), HttpStatusCode.Unauthorized, "invalid_token");
        }

        await Api.Error(await api.SendAsync(HttpMethod.Patch, $"/api/admin/users/{user.UserId}/", user.Access, new { role = "admin" }),
            HttpStatusCode.Forbidden, "forbidden");
        await Api.Error(await api.SendAsync(HttpMethod.Delete, $"/api/admin/users/{user.UserId}/", user.Access),
            HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task The_role_is_checked_live_a_demoted_or_logged_out_admin_is_refused_at_once()
    {
        var admin = await NewAdminAsync();
        var secondPhone = TestSettings.NewPhone();
        await NewAdminAsync(secondPhone);

        // Signed in after the grant: this token's role claim says admin, so only a live check can refuse it below.
        factory.Time.Advance(TimeSpan.FromSeconds(61));
        var second = await api.LoginAsync(secondPhone, "second-device");
        Assert.Equal("admin", Api.Payload(second.Access).GetProperty("role").GetString());
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/admin/users/", second.Access)).StatusCode);

        var demoted = await api.SendAsync(HttpMethod.Patch, $"/api/admin/users/{second.UserId}/", admin.Access, new { role = "user" });
        Assert.Equal(HttpStatusCode.OK, demoted.StatusCode);
        await Api.Error(await api.GetAsync("/api/admin/users/", second.Access), HttpStatusCode.Forbidden, "forbidden");

        Assert.Equal(HttpStatusCode.NoContent, (await api.SendAsync(HttpMethod.Post, "/api/users/logout/", admin.Access)).StatusCode);
        await Api.Error(await api.GetAsync("/api/admin/users/", admin.Access), HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task Search_finds_users_by_phone_prefix_and_name_newest_first_in_pages()
    {
        var admin = await NewAdminAsync();
        var surname = "Tester" + Guid.NewGuid().ToString("N")[..8];
        var users = new List<(Guid Id, string Phone)>();
        for (var i = 0; i < 3; i++)
        {
            var phone = TestSettings.NewPhone();
            var login = await api.LoginAsync(phone);
            var named = await api.SendAsync(HttpMethod.Patch, "/api/users/me/", login.Access, new { first_name = $"Ali{i}", last_name = surname });
            Assert.Equal(HttpStatusCode.OK, named.StatusCode);
            users.Add((login.UserId, phone));
            factory.Time.Advance(TimeSpan.FromSeconds(1));
        }

        // The read model follows the grains just after each response: wait until it shows all three.
        await Eventually.ReturnsAsync(
            () => SearchAsync(admin, $"name={surname.ToLowerInvariant()}&limit=10"),
            page => page.GetProperty("results").GetArrayLength() == 3, "the users read model");
        var all = await SearchAsync(admin, $"name={surname.ToLowerInvariant()}&limit=2");
        Assert.Equal([users[2].Id, users[1].Id], Ids(all));
        var cursor = all.GetProperty("next_cursor").GetString()!;

        var rest = await SearchAsync(admin, $"name={surname.ToUpperInvariant()}&limit=2&cursor={cursor}");
        Assert.Equal([users[0].Id], Ids(rest));
        Assert.Equal(JsonValueKind.Null, rest.GetProperty("next_cursor").ValueKind);

        var byPhone = await SearchAsync(admin, $"phone={Uri.EscapeDataString(users[1].Phone[..^1].Replace("+998", "998 "))}&name={surname}");
        Assert.Contains(users[1].Id, Ids(byPhone));
        var row = byPhone.GetProperty("results").EnumerateArray().Single(r => r.GetProperty("id").GetGuid() == users[1].Id);
        Assert.Equal(users[1].Phone, row.GetProperty("phone").GetString());
        Assert.Equal("Ali1", row.GetProperty("first_name").GetString());
        Assert.True(row.GetProperty("is_active").GetBoolean());
    }

    [Fact]
    public async Task Bad_search_parameters_get_400()
    {
        var admin = await NewAdminAsync();

        foreach (var query in new[] { "limit=0", "limit=101", "limit=x", "cursor=not-a-cursor", "phone=abc", "phone=9%2B9" })
        {
            await Api.Error(await api.GetAsync($"/api/admin/users/?{query}", admin.Access), HttpStatusCode.BadRequest, "invalid_request");
        }

        await Api.Error(await api.GetAsync("/api/admin/audit/?cursor=-1", admin.Access), HttpStatusCode.BadRequest, "invalid_request");
        await Api.Error(await api.GetAsync("/api/admin/users/not-a-guid/", admin.Access), HttpStatusCode.NotFound, "not_found");
        await Api.Error(await api.GetAsync($"/api/admin/users/{Guid.NewGuid()}/", admin.Access), HttpStatusCode.NotFound, "not_found");
        await Api.Error(await api.GetAsync("/api/admin/phones/12/", admin.Access), HttpStatusCode.BadRequest, "invalid_phone");
    }

    [Fact]
    public async Task One_user_is_shown_with_its_sessions()
    {
        var admin = await NewAdminAsync();
        var phone = TestSettings.NewPhone();
        var user = await api.LoginAsync(phone, "phone-a");
        factory.Time.Advance(TimeSpan.FromSeconds(61));
        await api.LoginAsync(phone, "phone-b");

        var json = await Api.Json(await api.GetAsync($"/api/admin/users/{user.UserId}/", admin.Access));

        Assert.Equal(phone, json.GetProperty("phone").GetString());
        Assert.Equal("user", json.GetProperty("role").GetString());
        Assert.Equal(["phone-a", "phone-b"], json.GetProperty("sessions").EnumerateArray().Select(s => s.GetProperty("device_id").GetString()).Order());
    }

    [Fact]
    public async Task Deactivating_a_user_kills_its_sessions_at_once_and_refuses_its_login_and_refresh()
    {
        var admin = await NewAdminAsync();
        var phone = TestSettings.NewPhone();
        var user = await api.LoginAsync(phone);

        var patched = await Api.Json(await api.SendAsync(HttpMethod.Patch, $"/api/admin/users/{user.UserId}/", admin.Access, new { is_active = false }));

        Assert.False(patched.GetProperty("is_active").GetBoolean());
        Assert.Equal(0, patched.GetProperty("sessions").GetArrayLength());
        await Api.Error(await api.GetAsync("/api/users/me/", user.Access), HttpStatusCode.Unauthorized, "invalid_token");
        await Api.Error(await api.RefreshAsync(user.Refresh), HttpStatusCode.Forbidden, "user_inactive");
        factory.Time.Advance(TimeSpan.FromSeconds(61));
        await api.SendCodeAsync(phone);
        await Api.Error(await api.VerifyAsync(phone, factory.Outbox.LatestCodeFor(phone)), HttpStatusCode.Forbidden, "user_inactive");

        await api.SendAsync(HttpMethod.Patch, $"/api/admin/users/{user.UserId}/", admin.Access, new { is_active = true });
        factory.Time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(user.UserId, (await api.LoginAsync(phone)).UserId);
    }

    [Fact]
    public async Task Revoking_all_sessions_logs_the_user_out_everywhere()
    {
        var admin = await NewAdminAsync();
        var user = await api.LoginAsync(TestSettings.NewPhone());

        Assert.Equal(HttpStatusCode.NoContent, (await api.SendAsync(HttpMethod.Delete, $"/api/admin/users/{user.UserId}/sessions/", admin.Access)).StatusCode);

        await Api.Error(await api.GetAsync("/api/users/me/", user.Access), HttpStatusCode.Unauthorized, "invalid_token");
        await Api.Error(await api.RefreshAsync(user.Refresh), HttpStatusCode.Unauthorized, "invalid_token");
    }

    [Fact]
    public async Task Deleting_a_user_unbinds_its_phone_which_can_sign_up_again_as_a_new_user()
    {
        var admin = await NewAdminAsync();
        var phone = TestSettings.NewPhone();
        var user = await api.LoginAsync(phone);

        Assert.Equal(HttpStatusCode.NoContent, (await api.SendAsync(HttpMethod.Delete, $"/api/admin/users/{user.UserId}/", admin.Access)).StatusCode);

        await Api.Error(await api.GetAsync($"/api/admin/users/{user.UserId}/", admin.Access), HttpStatusCode.NotFound, "not_found");
        var state = await Api.Json(await api.GetAsync($"/api/admin/phones/{phone}/", admin.Access));
        Assert.Equal(JsonValueKind.Null, state.GetProperty("user_id").ValueKind);
        factory.Time.Advance(TimeSpan.FromSeconds(61));
        Assert.NotEqual(user.UserId, (await api.LoginAsync(phone)).UserId);
    }

    [Fact]
    public async Task Admins_cannot_lock_themselves_out_and_bad_changes_get_400()
    {
        var admin = await NewAdminAsync();
        var user = await api.LoginAsync(TestSettings.NewPhone());
        var mine = $"/api/admin/users/{admin.UserId}/";
        var theirs = $"/api/admin/users/{user.UserId}/";

        await Api.Error(await api.SendAsync(HttpMethod.Patch, mine, admin.Access, new { is_active = false }), HttpStatusCode.BadRequest, "invalid_request");
        await Api.Error(await api.SendAsync(HttpMethod.Patch, mine, admin.Access, new { role = "user" }), HttpStatusCode.BadRequest, "invalid_request");
        await Api.Error(await api.SendAsync(HttpMethod.Delete, mine, admin.Access), HttpStatusCode.BadRequest, "invalid_request");
        await Api.Error(await api.SendAsync(HttpMethod.Patch, theirs, admin.Access, new { phone = "+998901234567" }), HttpStatusCode.BadRequest, "invalid_request");
        await Api.Error(await api.SendAsync(HttpMethod.Patch, theirs, admin.Access, new { is_active = "maybe" }), HttpStatusCode.BadRequest, "invalid_request");
        await Api.Error(await api.SendAsync(HttpMethod.Patch, theirs, admin.Access, new { role = "Super User" }), HttpStatusCode.BadRequest, "invalid_request");
        await Api.Error(await api.SendAsync(HttpMethod.Patch, theirs, admin.Access, new { first_name = new string('x', 101) }), HttpStatusCode.BadRequest, "invalid_request");
        await Api.Error(await api.SendAsync(HttpMethod.Patch, theirs, admin.Access, new { }), HttpStatusCode.BadRequest, "invalid_request");

        var json = await Api.Json(await api.GetAsync(theirs, admin.Access));
        Assert.Equal("user", json.GetProperty("role").GetString());
        Assert.True(json.GetProperty("is_active").GetBoolean());
    }

    [Fact]
    public async Task A_phone_state_shows_limits_but_never_the_code_and_unlock_lifts_a_lockout()
    {
        var admin = await NewAdminAsync();
        var phone = TestSettings.NewPhone();
        for (var dead = 0; dead < 3; dead++)
        {
            await api.SendCodeAsync(phone);
            for (var guess = 0; guess < 5; guess++)
            {
                await api.VerifyAsync(phone, WrongCode(factory.Outbox.LatestCodeFor(phone)));
            }

            factory.Time.Advance(TimeSpan.FromSeconds(61));
        }

        await Api.Error(await api.SendCodeAsync(phone), HttpStatusCode.TooManyRequests, "rate_limited");
        var locked = await api.GetAsync($"/api/admin/phones/{Uri.EscapeDataString(phone)}/", admin.Access);
        var lockedText = await locked.Content.ReadAsStringAsync();
        var state = await Api.Json(locked);
        Assert.True(state.GetProperty("locked_until").GetDateTimeOffset() > factory.Time.GetUtcNow());
        Assert.Equal(3, state.GetProperty("sends_in_window").GetInt32());
        Assert.False(state.GetProperty("code_outstanding").GetBoolean());
        Assert.DoesNotContain(factory.Outbox.LatestCodeFor(phone), lockedText);

        var unlocked = await Api.Json(await api.SendAsync(HttpMethod.Post, $"/api/admin/phones/{phone}/unlock/", admin.Access));
        Assert.Equal(JsonValueKind.Null, unlocked.GetProperty("locked_until").ValueKind);

        Assert.Equal(HttpStatusCode.OK, (await api.SendCodeAsync(phone)).StatusCode);
        var fresh = await api.GetAsync($"/api/admin/phones/{phone}/", admin.Access);
        var freshText = await fresh.Content.ReadAsStringAsync();
        var outstanding = await Api.Json(fresh);
        Assert.True(outstanding.GetProperty("code_outstanding").GetBoolean());
        Assert.Equal(5, outstanding.GetProperty("attempts_left").GetInt32());
        Assert.DoesNotContain(factory.Outbox.LatestCodeFor(phone), freshText);
        var hash = StoredCodeHash(phone);
        Assert.DoesNotContain(Convert.ToBase64String(hash), freshText);
        Assert.DoesNotContain(Convert.ToHexString(hash), freshText, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Base64UrlEncoder.Encode(hash), freshText);
        Assert.Equal(HttpStatusCode.OK, (await api.VerifyAsync(phone, factory.Outbox.LatestCodeFor(phone))).StatusCode);
    }

    [Fact]
    public async Task Every_admin_change_and_every_account_deletion_is_in_the_audit_log()
    {
        var admin = await NewAdminAsync();
        var user = await api.LoginAsync(TestSettings.NewPhone());
        var leaver = await api.LoginAsync(TestSettings.NewPhone());
        var lockedPhone = TestSettings.NewPhone();

        Assert.Equal(HttpStatusCode.OK, (await api.SendAsync(HttpMethod.Patch, $"/api/admin/users/{user.UserId}/", admin.Access, new { is_active = false })).StatusCode);
        Assert.True((await api.SendAsync(HttpMethod.Delete, $"/api/admin/users/{user.UserId}/sessions/", admin.Access)).IsSuccessStatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.SendAsync(HttpMethod.Post, $"/api/admin/phones/{lockedPhone}/unlock/", admin.Access)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await api.SendAsync(HttpMethod.Delete, $"/api/admin/users/{user.UserId}/", admin.Access)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await api.SendAsync(HttpMethod.Delete, "/api/users/me/", leaver.Access)).StatusCode);

        var page = await Api.Json(await api.GetAsync("/api/admin/audit/?limit=100", admin.Access));
        var entries = page.GetProperty("results").EnumerateArray().ToList();
        string[] Actions(string target) => entries.Where(e => e.GetProperty("target").GetString() == target)
            .Select(e => e.GetProperty("action").GetString()!).Reverse().ToArray();

        Assert.Equal(["user.update", "user.revoke_sessions", "user.delete"], Actions(user.UserId.ToString()));
        Assert.Equal(["phone.unlock"], Actions(lockedPhone));
        Assert.Equal(["account.delete"], Actions(leaver.UserId.ToString()));
        var update = entries.Single(e => e.GetProperty("target").GetString() == user.UserId.ToString() && e.GetProperty("action").GetString() == "user.update");
        Assert.Equal(admin.UserId, update.GetProperty("actor_id").GetGuid());
        Assert.Equal("127.0.0.1", update.GetProperty("ip").GetString());
        Assert.False(update.GetProperty("detail").GetProperty("is_active").GetBoolean());
        var deletion = entries.Single(e => e.GetProperty("action").GetString() == "account.delete" && e.GetProperty("target").GetString() == leaver.UserId.ToString());
        Assert.Equal(leaver.UserId, deletion.GetProperty("actor_id").GetGuid());

        var ids = entries.Select(e => e.GetProperty("id").GetInt64()).ToList();
        Assert.Equal(ids.OrderDescending(), ids);
        var older = await Api.Json(await api.GetAsync($"/api/admin/audit/?limit=1&cursor={ids[0]}", admin.Access));
        Assert.Equal(ids[1], older.GetProperty("results")[0].GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task When_an_account_is_deleted_its_audit_rows_keep_a_keyed_hash_of_its_number_instead_of_the_number()
    {
        var admin = await NewAdminAsync();
        var leaverPhone = TestSettings.NewPhone();
        var stayerPhone = TestSettings.NewPhone();
        var leaver = await api.LoginAsync(leaverPhone);
        await api.LoginAsync(stayerPhone);
        Assert.Equal(HttpStatusCode.OK, (await api.SendAsync(HttpMethod.Post, $"/api/admin/phones/{leaverPhone}/unlock/", admin.Access)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.SendAsync(HttpMethod.Post, $"/api/admin/phones/{stayerPhone}/unlock/", admin.Access)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await api.SendAsync(HttpMethod.Delete, "/api/users/me/", leaver.Access)).StatusCode);

        var text = await (await api.GetAsync("/api/admin/audit/?limit=100", admin.Access)).Content.ReadAsStringAsync();
        var entries = JsonDocument.Parse(text).RootElement.GetProperty("results").EnumerateArray().ToList();
        var pseudonym = "phone:" + Convert.ToHexStringLower(HMACSHA256.HashData(
            Convert.FromBase64String(TestSettings.Secrets.HashKey), Encoding.UTF8.GetBytes($"audit-phone\n{leaverPhone}")), 0, 8);
        Assert.DoesNotContain(leaverPhone, text);
        Assert.Contains(entries, e => e.GetProperty("action").GetString() == "phone.unlock" && e.GetProperty("target").GetString() == pseudonym);
        Assert.Contains(entries, e => e.GetProperty("action").GetString() == "account.delete" && e.GetProperty("actor").GetString() == pseudonym);
        Assert.Contains(entries, e => e.GetProperty("action").GetString() == "phone.unlock" && e.GetProperty("target").GetString() == stayerPhone);
    }

    [Fact]
    public async Task An_audit_row_that_cannot_be_written_stops_the_change_it_records()
    {
        var admin = await NewAdminAsync();
        var user = await api.LoginAsync(TestSettings.NewPhone());
        var leaver = await api.LoginAsync(TestSettings.NewPhone());
        using (var down = AuditDownFor(user.UserId, leaver.UserId))
        {
            await Api.Error(await api.SendAsync(HttpMethod.Patch, $"/api/admin/users/{user.UserId}/", admin.Access, new { is_active = false }),
                HttpStatusCode.ServiceUnavailable, "unavailable");
            await Api.Error(await api.SendAsync(HttpMethod.Delete, $"/api/admin/users/{user.UserId}/", admin.Access),
                HttpStatusCode.ServiceUnavailable, "unavailable");
            await Api.Error(await api.SendAsync(HttpMethod.Delete, "/api/users/me/", leaver.Access), HttpStatusCode.ServiceUnavailable, "unavailable");
        }

        // Nothing happened: both accounts are there, active, and their sessions work.
        Assert.True((await Api.Json(await api.GetAsync($"/api/admin/users/{user.UserId}/", admin.Access))).GetProperty("is_active").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/users/me/", user.Access)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/users/me/", leaver.Access)).StatusCode);
    }

    /// <summary>Makes the audit table refuse rows about these targets (a real database fault, in the real file) until disposed.</summary>
    private IDisposable AuditDownFor(params Guid[] targets)
    {
        var name = $"audit_down_{Guid.NewGuid():N}";
        Execute($"CREATE TRIGGER {name} BEFORE INSERT ON QrmAudit WHEN NEW.Target IN ({string.Join(", ", targets.Select(t => $"'{t}'"))}) " +
            "BEGIN SELECT RAISE(ABORT, 'audit log unavailable'); END");
        return new Undo(() => Execute($"DROP TRIGGER {name}"));
    }

    private void Execute(string sql) => StorageRows.Execute(factory.DatabasePath, sql);

    private sealed class Undo(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }

    /// <summary>The bootstrap admin phone; logged in once per run (its cooldown is shared).</summary>
    private async Task<Login> AdminLoginAsync()
    {
        return await api.LoginAsync(GatewayFactory.AdminPhone, $"admin-{Guid.NewGuid():N}");
    }

    /// <summary>A fresh user made admin the operator's way (what <c>QrMahalla.Silo grant-role</c> calls).</summary>
    private async Task<Login> NewAdminAsync(string? phone = null)
    {
        phone ??= TestSettings.NewPhone();
        var login = await api.LoginAsync(phone);
        var granted = await factory.Grains.GetGrain<IAdminGrain>(0).GrantRoleAsync(new OperatorActor("test", "tests", null), phone, "admin");
        Assert.Equal(AdminStatus.Ok, granted.Status);
        return login;
    }

    private async Task<JsonElement> SearchAsync(Login admin, string query) =>
        await Api.Json(await api.GetAsync($"/api/admin/users/?{query}", admin.Access));

    private static List<Guid> Ids(JsonElement page) =>
        page.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetGuid()).ToList();

    private static string WrongCode(string code) => code == "000000" ? "111111" : "000000";

    /// <summary>The code hash a phone's state holds, read from the database file itself.</summary>
    private byte[] StoredCodeHash(string phone) =>
        JsonDocument.Parse(StorageRows.Payload(factory.DatabasePath, "code", phone)).RootElement.GetProperty("codeHash").GetBytesFromBase64();
}
