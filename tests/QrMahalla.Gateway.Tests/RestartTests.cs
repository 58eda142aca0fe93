namespace QrMahalla.Gateway.Tests;

public sealed class RestartTests
{
    [Fact]
    public async Task A_restarted_process_keeps_users_bindings_and_sessions()
    {
        var folder = TestSettings.NewTempFolder("restart");
        var phone = TestSettings.NewPhone();
        Login login;
        await using (var first = new GatewayFactory(folder, new()))
        {
            login = await new Api(first.CreateClient(), first.Outbox).LoginAsync(phone);
        }

        await using var second = new GatewayFactory(folder, new());
        var api = new Api(second.CreateClient(), second.Outbox);

        var me = await Api.Json(await api.GetAsync("/api/users/me/", login.Access));
        var refreshed = await api.RefreshAsync(login.Refresh);
        second.Time.Advance(TimeSpan.FromSeconds(61));
        var again = await api.LoginAsync(phone, "second-device");

        Assert.Equal(login.UserId, me.GetProperty("id").GetGuid());
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        Assert.Equal(login.UserId, again.UserId);
    }
}
