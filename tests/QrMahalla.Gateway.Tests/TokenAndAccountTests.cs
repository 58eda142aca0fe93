namespace QrMahalla.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class TokenAndAccountTests(GatewayFactory factory)
{
    private readonly Api api = new(factory.CreateClient(), factory.Outbox);

    [Fact]
    public async Task Refresh_rotates_and_the_old_refresh_token_dies()
    {
        var login = await api.LoginAsync(TestSettings.NewPhone());

        var first = await api.RefreshAsync(login.Refresh);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var rotated = await Api.Json(first);
        var newRefresh = rotated.GetProperty("refresh").GetString()!;
        var newAccess = rotated.GetProperty("access").GetString()!;

        Assert.NotEqual(login.Refresh, newRefresh);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/users/me/", newAccess)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.RefreshAsync(newRefresh)).StatusCode);
    }

    [Fact]
    public async Task Replaying_a_rotated_refresh_token_revokes_the_session()
    {
        var login = await api.LoginAsync(TestSettings.NewPhone());
        var rotated = await Api.Json(await api.RefreshAsync(login.Refresh));

        await Api.Error(await api.RefreshAsync(login.Refresh), HttpStatusCode.Unauthorized, "invalid_token");

        await Api.Error(await api.RefreshAsync(rotated.GetProperty("refresh").GetString()!), HttpStatusCode.Unauthorized, "invalid_token");
        await Api.Error(await api.GetAsync("/api/users/me/", login.Access), HttpStatusCode.Unauthorized, "invalid_token");
    }

    [Fact]
    public async Task Access_and_refresh_tokens_are_not_interchangeable()
    {
        var login = await api.LoginAsync(TestSettings.NewPhone());

        await Api.Error(await api.RefreshAsync(login.Access), HttpStatusCode.Unauthorized, "invalid_token");
        await Api.Error(await api.GetAsync("/api/users/me/", login.Refresh), HttpStatusCode.Unauthorized, "invalid_token");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("garbage")]
    [InlineData("eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.eyJzdWIiOiIwMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDAifQ.")]
    public async Task Me_without_a_valid_token_gets_401(string? token) =>
        await Api.Error(await api.GetAsync("/api/users/me/", token), HttpStatusCode.Unauthorized, "invalid_token");

    [Fact]
    public async Task A_tampered_access_token_gets_401()
    {
        var login = await api.LoginAsync(TestSettings.NewPhone());
        var parts = login.Access.Split('.');
        var payload = Api.Payload(login.Access).GetRawText().Replace("\"user\"", "\"admin\"");
        var forged = $"{parts[0]}.{Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(payload)).TrimEnd('=').Replace('+', '-').Replace('/', '_')}.{parts[2]}";

        await Api.Error(await api.GetAsync("/api/users/me/", forged), HttpStatusCode.Unauthorized, "invalid_token");
    }

    [Fact]
    public async Task Me_returns_the_profile_and_patch_updates_it()
    {
        var phone = TestSettings.NewPhone();
        var login = await api.LoginAsync(phone);

        var patched = await api.SendAsync(HttpMethod.Patch, "/api/users/me/", login.Access,
            new { first_name = "Aziza", last_name = "Karimova", passport_id = "AB1234567", address = "Samarqand" });
        var me = await Api.Json(await api.GetAsync("/api/users/me/", login.Access));

        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.Equal(login.UserId, me.GetProperty("id").GetGuid());
        Assert.Equal(phone, me.GetProperty("phone").GetString());
        Assert.Equal("Aziza", me.GetProperty("first_name").GetString());
        Assert.Equal("Karimova", me.GetProperty("last_name").GetString());
        Assert.Equal("AB1234567", me.GetProperty("passport_id").GetString());
        Assert.Equal("Samarqand", me.GetProperty("address").GetString());
        Assert.True(me.GetProperty("is_verified").GetBoolean());
        Assert.True(me.GetProperty("is_active").GetBoolean());
        Assert.False(me.GetProperty("is_staff").GetBoolean());
        Assert.Equal("user", me.GetProperty("role").GetString());
    }

    [Theory]
    [InlineData("first_name", 101)]
    [InlineData("last_name", 101)]
    [InlineData("passport_id", 21)]
    [InlineData("address", 501)]
    public async Task Patch_with_a_field_over_the_old_model_length_gets_400(string field, int length)
    {
        var login = await api.LoginAsync(TestSettings.NewPhone());

        var response = await api.SendAsync(HttpMethod.Patch, "/api/users/me/", login.Access, new Dictionary<string, string> { [field] = new('x', length) });

        await Api.Error(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task Sessions_are_listed_per_device_and_one_can_be_revoked()
    {
        var phone = TestSettings.NewPhone();
        var phoneLogin = await api.LoginAsync(phone, "phone-app");
        factory.Time.Advance(TimeSpan.FromSeconds(61));
        var webLogin = await api.LoginAsync(phone, deviceId: null);

        var sessions = await Api.Json(await api.GetAsync("/api/users/me/sessions/", phoneLogin.Access));
        Assert.Equal(2, sessions.GetArrayLength());
        var current = sessions.EnumerateArray().Single(s => s.GetProperty("current").GetBoolean());
        Assert.Equal("phone-app", current.GetProperty("device_id").GetString());
        var web = sessions.EnumerateArray().Single(s => !s.GetProperty("current").GetBoolean()).GetProperty("device_id").GetString()!;
        Assert.StartsWith("web-", web);

        Assert.Equal(HttpStatusCode.NoContent, (await api.SendAsync(HttpMethod.Delete, $"/api/users/me/sessions/{web}/", phoneLogin.Access)).StatusCode);
        await Api.Error(await api.GetAsync("/api/users/me/", webLogin.Access), HttpStatusCode.Unauthorized, "invalid_token");
        await Api.Error(await api.RefreshAsync(webLogin.Refresh), HttpStatusCode.Unauthorized, "invalid_token");
        await Api.Error(await api.SendAsync(HttpMethod.Delete, "/api/users/me/sessions/no-such-device/", phoneLogin.Access), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task Logout_stops_the_session_at_once()
    {
        var login = await api.LoginAsync(TestSettings.NewPhone());

        Assert.Equal(HttpStatusCode.NoContent, (await api.SendAsync(HttpMethod.Post, "/api/users/logout/", login.Access)).StatusCode);

        await Api.Error(await api.GetAsync("/api/users/me/", login.Access), HttpStatusCode.Unauthorized, "invalid_token");
        await Api.Error(await api.RefreshAsync(login.Refresh), HttpStatusCode.Unauthorized, "invalid_token");
    }

    [Fact]
    public async Task Logout_all_stops_every_session()
    {
        var phone = TestSettings.NewPhone();
        var first = await api.LoginAsync(phone, "a");
        factory.Time.Advance(TimeSpan.FromSeconds(61));
        var second = await api.LoginAsync(phone, "b");

        Assert.Equal(HttpStatusCode.NoContent, (await api.SendAsync(HttpMethod.Post, "/api/users/logout/all/", second.Access)).StatusCode);

        await Api.Error(await api.GetAsync("/api/users/me/", first.Access), HttpStatusCode.Unauthorized, "invalid_token");
        await Api.Error(await api.GetAsync("/api/users/me/", second.Access), HttpStatusCode.Unauthorized, "invalid_token");
    }

    [Fact]
    public async Task Deleting_the_account_frees_the_phone_for_a_new_user()
    {
        var phone = TestSettings.NewPhone();
        var login = await api.LoginAsync(phone);

        Assert.Equal(HttpStatusCode.NoContent, (await api.SendAsync(HttpMethod.Delete, "/api/users/me/", login.Access)).StatusCode);
        await Api.Error(await api.GetAsync("/api/users/me/", login.Access), HttpStatusCode.Unauthorized, "invalid_token");
        factory.Time.Advance(TimeSpan.FromSeconds(61));
        var again = await api.LoginAsync(phone);

        Assert.NotEqual(login.UserId, again.UserId);
    }
}
